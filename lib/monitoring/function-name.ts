/**
 * The physical name of the vendor function a Lambda stack will have, worked out at synth time from the template's
 * `FunctionName` (a literal, or `Fn::Sub` over pseudo parameters and parameters the app sets). The monitoring stack
 * needs it as a literal: a cross-stack reference would add an export to the vendor's stack, which then blocks
 * changing that stack's function. Undefined when the template leaves the name to CloudFormation or builds it in a
 * way we do not evaluate; the monitoring stack then leaves that function out with a warning.
 */
export function resolveFunctionName(
  functionProperties: Readonly<Record<string, unknown>> | undefined,
  context: {
    readonly stackName: string;
    readonly region: string;
    readonly account: string;
    readonly parameters: Readonly<Record<string, string>>;
    readonly defaults: Readonly<Record<string, unknown>>;
  },
): string | undefined {
  const value = functionProperties?.FunctionName;
  if (typeof value === 'string') return value;
  const sub = (value as { 'Fn::Sub'?: unknown } | undefined)?.['Fn::Sub'];
  if (typeof sub !== 'string') return undefined;
  let unresolved = false;
  const out = sub.replace(/\$\{([^}!]+)\}/g, (_m, name: string) => {
    const pseudo: Record<string, string> = {
      'AWS::StackName': context.stackName,
      'AWS::Region': context.region,
      'AWS::AccountId': context.account,
    };
    const v = pseudo[name] ?? context.parameters[name] ?? scalar(context.defaults[name]);
    if (v === undefined) unresolved = true;
    return v ?? '';
  });
  return unresolved ? undefined : out;
}

function scalar(v: unknown): string | undefined {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}
