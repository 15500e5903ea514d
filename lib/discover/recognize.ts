/**
 * Pure rules that tell a Taegis Lambda stack (or shared-resources stack) from any other stack.
 * No AWS calls here: discover feeds them what it read, tests feed them tables.
 */
import {
  LAMBDA_PARAMETERS,
  OLDER_TEMPLATE_PARAMETERS,
  parseVendorFunctionName,
  SHARED_PARAMETERS,
  VENDOR_DESCRIPTION,
} from '../facts/taegis.js';

import type { MigrationMarker } from '../stacks/marker.js';

/** How a stack was recognised as a Taegis Lambda stack; `marker`: taegis-migrate deployed it (lib/stacks/marker.ts). */
export type RecognitionReason = 'marker' | 'description' | 'parameters' | 'function-name';

/**
 * Which vendor template the stack was made from, as far as its parameters tell; `migrated`: this tool already
 * deployed the new template (the parameters are baked in, the marker holds their values).
 */
export type TemplateGeneration = 'current' | 'older' | 'migrated';

/** Where the integration type came from; `function-name` is the last resort. */
export type IntegrationSource = 'parameter' | 'marker' | 'environment' | 'description' | 'function-name';

/**
 * Words that make a description's "for <...> logs" a placeholder, not an integration name: the vendor's multi-
 * integration template says "for the selected integration logs".
 */
const NOT_A_NAME = new Set([
  'the',
  'a',
  'an',
  'selected',
  'chosen',
  'your',
  'this',
  'that',
  'any',
  'each',
  'all',
  'given',
  'specified',
  'configured',
  'integration',
  'integrations',
]);

/** What discover knows about one stack when it decides. */
export interface StackFacts {
  /** The template description (from ListStacks or DescribeStacks). */
  readonly description?: string;
  /** Parameter values by key; undefined when the stack could not be described. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Names of the stack's `AWS::Lambda::Function` resources, when known. */
  readonly functionNames?: readonly string[];
  /** The marker a taegis-migrate deploy left in the template, when there is one. */
  readonly marker?: MigrationMarker;
  /** The function's `INTEGRATION_TYPE` environment variable, when it could be read. */
  readonly environmentIntegration?: string;
}

export interface Recognition {
  readonly reasons: readonly RecognitionReason[];
  readonly template: TemplateGeneration;
}

/** The integration name the vendor description carries, normalised to the parameter's form ("AWS CloudTrail" -> "awscloudtrail"). */
export function integrationFromDescription(description: string | undefined): string | undefined {
  const match = description === undefined ? null : VENDOR_DESCRIPTION.exec(description);
  const phrase = match?.[1]?.toLowerCase();
  if (phrase === undefined) return undefined;
  // "for the selected integration logs" names no integration; "theselectedintegration" is not one.
  if (phrase.split(/[^a-z0-9]+/).some((w) => NOT_A_NAME.has(w))) return undefined;
  const name = phrase.replace(/[^a-z0-9]/g, '');
  return name === '' ? undefined : name;
}

/** Splits a vendor function name (or ARN) into its stack-name prefix and integration (one parser, in lib/vendor). */
export { parseVendorFunctionName };

export function matchesDescription(description: string | undefined): boolean {
  return description !== undefined && VENDOR_DESCRIPTION.test(description);
}

function has(parameters: Readonly<Record<string, string>> | undefined, key: string): boolean {
  return parameters !== undefined && Object.prototype.hasOwnProperty.call(parameters, key);
}

/** Decides whether a stack is a Taegis Lambda stack, and says why. Undefined: not one. */
export function recognizeLambdaStack(facts: StackFacts): Recognition | undefined {
  const reasons: RecognitionReason[] = [];
  if (facts.marker) reasons.push('marker');
  if (matchesDescription(facts.description)) reasons.push('description');
  const p = facts.parameters;
  const current = has(p, LAMBDA_PARAMETERS.notificationBucket) && has(p, LAMBDA_PARAMETERS.integrationType);
  const older = has(p, LAMBDA_PARAMETERS.notificationBucket) && OLDER_TEMPLATE_PARAMETERS.some((k) => has(p, k));
  if (current || older) reasons.push('parameters');
  if ((facts.functionNames ?? []).some((n) => parseVendorFunctionName(n) !== undefined)) reasons.push('function-name');
  if (reasons.length === 0) return undefined;
  if (facts.marker) return { reasons, template: 'migrated' };
  return { reasons, template: has(p, LAMBDA_PARAMETERS.integrationType) ? 'current' : 'older' };
}

/** A shared-resources stack declares `SecretValue` and `TaegisRegion`. */
export function isSharedResourcesStack(parameters: Readonly<Record<string, string>> | undefined): boolean {
  return has(parameters, SHARED_PARAMETERS.secretValue) && has(parameters, SHARED_PARAMETERS.taegisRegion);
}

/**
 * The integration type: the parameter (an unmigrated stack), else the marker (a migrated one), else the function's
 * environment, else the description's `<integration name>`, else the function name's suffix.
 */
export function resolveIntegration(facts: StackFacts): {
  readonly value?: string;
  readonly source?: IntegrationSource;
} {
  const param = facts.parameters?.[LAMBDA_PARAMETERS.integrationType];
  if (param !== undefined && param !== '') return { value: param, source: 'parameter' };
  if (facts.marker) return { value: facts.marker.integrationType, source: 'marker' };
  const env = facts.environmentIntegration?.trim();
  if (env !== undefined && env !== '') return { value: env, source: 'environment' };
  const fromDescription = integrationFromDescription(facts.description);
  if (fromDescription !== undefined) return { value: fromDescription, source: 'description' };
  for (const n of facts.functionNames ?? []) {
    const parsed = parseVendorFunctionName(n);
    if (parsed) return { value: parsed.integration, source: 'function-name' };
  }
  return {};
}

/** A parameter value, with the template's "not set" forms ('' and the console's placeholders) as undefined. */
export function optionalParameter(
  parameters: Readonly<Record<string, string>> | undefined,
  key: string,
): string | undefined {
  const v = parameters?.[key]?.trim();
  return v === undefined || v === '' || v === '****' ? undefined : v;
}
