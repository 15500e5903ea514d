import { Token } from 'aws-cdk-lib';
import type { CfnInclude } from 'aws-cdk-lib/cloudformation-include';

type Json = unknown;

/**
 * The text of an `Fn::Sub` once `values` (the parameters the app bakes in) are substituted, or undefined when a
 * variable is left (a pseudo parameter, a resource attribute, a parameter not baked in). `${!Literal}` is Fn::Sub's
 * escape for a literal `${Literal}`.
 */
export function bakedSubText(text: string, values: Readonly<Record<string, string>>): string | undefined {
  let left = false;
  const out = text.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    const value = values[name.trim()];
    if (value === undefined) left = true;
    return value ?? whole;
  });
  return left ? undefined : out;
}

/** The string of an `Fn::Sub` node without a variable map (or with an empty one); undefined for anything else. */
function subText(node: Json): string | undefined {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
  const keys = Object.keys(node);
  if (keys.length !== 1 || keys[0] !== 'Fn::Sub') return undefined;
  const sub = (node as { 'Fn::Sub': Json })['Fn::Sub'];
  if (typeof sub === 'string') return sub;
  if (Array.isArray(sub) && sub.length === 2 && typeof sub[0] === 'string') {
    const vars = sub[1] as Json;
    if (typeof vars === 'object' && vars !== null && Object.keys(vars).length === 0) return sub[0];
  }
  return undefined;
}

/** Every `Fn::Sub` under `node` that bakes down to a plain string: its dot path (array indexes included) and text. */
function plainSubsIn(node: Json, values: Readonly<Record<string, string>>, at: string[] = []): [string, string][] {
  const text = subText(node);
  if (text !== undefined) {
    const plain = bakedSubText(text, values);
    return plain === undefined ? [] : [[at.join('.'), plain]];
  }
  if (Array.isArray(node)) return node.flatMap((child, i) => plainSubsIn(child, values, [...at, String(i)]));
  if (typeof node === 'object' && node !== null) {
    return Object.entries(node).flatMap(([k, child]) => plainSubsIn(child, values, [...at, k]));
  }
  return [];
}

/**
 * Writes the plain string wherever baking the app's parameter values into an included vendor template leaves an
 * `Fn::Sub` with nothing to substitute (`!Sub '... ${IntegrationType} ...'`): CloudFormation's validator reports such
 * a Sub (W1020), and the plain string is what CloudFormation would compute anyway. Subs that still hold a variable
 * (`${AWS::StackName}`, a resource attribute) are left as they are.
 */
export function writePlainSubs(
  include: CfnInclude,
  template: Readonly<Record<string, unknown>>,
  parameters: Readonly<Record<string, string>>,
): void {
  // A value CloudFormation resolves at deploy time (a dynamic reference) is not text we can write in.
  const values = Object.fromEntries(Object.entries(parameters).filter(([, v]) => !Token.isUnresolved(v)));
  const resources = (template.Resources ?? {}) as Record<string, { Properties?: Json }>;
  for (const [logicalId, resource] of Object.entries(resources)) {
    const subs = plainSubsIn(resource.Properties, values);
    if (subs.length === 0) continue;
    const cfn = include.getResource(logicalId);
    for (const [path, text] of subs) cfn.addPropertyOverride(path, text);
  }
  const outputs = (template.Outputs ?? {}) as Record<string, { Value?: Json }>;
  for (const [id, output] of Object.entries(outputs)) {
    const text = subText(output.Value);
    const plain = text === undefined ? undefined : bakedSubText(text, values);
    if (plain !== undefined) include.getOutput(id).value = plain;
  }
}
