import type { RegionConfig } from '../config/schema.js';

/**
 * Construct ids. The rule: a config whose `regions[]` all name one account keeps the ids it always had
 * (`TaegisStaging-<region>`, `TaegisShared-<region>`, `TaegisLambda-<region>-<stackName>`), so existing commands and
 * `cdk deploy <id>` selections keep working. Once the config spans several accounts, every id carries the account
 * after the prefix (`TaegisLambda-<account>-<region>-<stackName>`): the same region may then appear once per account.
 * Whether a config is multi-account is decided on the whole file, not on a `-c account=`/`-c region=` selection, so
 * ids do not change with the selection.
 */
export type IdScope = string | undefined;

/** The account to put into ids: undefined for a single-account config (ids as before). */
export function idScope(regions: readonly Pick<RegionConfig, 'account'>[], account: string): IdScope {
  return new Set(regions.map((r) => r.account)).size > 1 ? account : undefined;
}

const scoped = (prefix: string, account: IdScope, rest: string): string =>
  account === undefined ? `${prefix}-${rest}` : `${prefix}-${account}-${rest}`;

/** Construct id of a region's staging stack (its CloudFormation name is always `TaegisStaging-<region>`). */
export const stagingStackId = (region: string, account?: IdScope): string => scoped('TaegisStaging', account, region);
/** CloudFormation name of a region's staging stack: the same in every account. */
export const stagingStackName = (region: string): string => `TaegisStaging-${region}`;
/** Construct id of a region's shared-resources stack (its CloudFormation name comes from config). */
export const sharedStackId = (region: string, account?: IdScope): string => scoped('TaegisShared', account, region);
/** Construct id of a migrated Lambda stack (its CloudFormation name is the existing stack's name). */
export const lambdaStackId = (region: string, stackName: string, account?: IdScope): string =>
  scoped('TaegisLambda', account, `${region}-${stackName}`);
/** Construct id of a target's monitoring stack (its CloudFormation name is always `TaegisMonitoring-<region>`). */
export const monitoringStackId = (region: string, account?: IdScope): string =>
  scoped('TaegisMonitoring', account, region);
/** CloudFormation name of a target's monitoring stack: the same in every account. */
export const monitoringStackName = (region: string): string => `TaegisMonitoring-${region}`;
/** Construct id (and CloudFormation name) of an account's least-privilege verify role stack: one per account. */
export const accessStackId = (account: string): string => `TaegisAccess-${account}`;

/** Construct id (and CloudFormation name) of an account's GitHub OIDC provider and role stack: one per account. */
export const githubOidcStackId = (account: string): string => `TaegisGitHubOidc-${account}`;

/** The staging bucket's name (defined with the config, whose template checks need it too). */
export { stagingBucketName } from '../config/derived.js';
