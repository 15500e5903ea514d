import type { RegionConfig } from '../config/schema.js';

/** Construct id (and default CloudFormation stack name) of a region's staging stack. */
export const stagingStackId = (region: string): string => `TaegisStaging-${region}`;
/** Construct id of a region's shared-resources stack (its CloudFormation name comes from config). */
export const sharedStackId = (region: string): string => `TaegisShared-${region}`;
/** Construct id of a migrated Lambda stack (its CloudFormation name is the existing stack's name). */
export const lambdaStackId = (region: string, stackName: string): string => `TaegisLambda-${region}-${stackName}`;

/**
 * The staging bucket's name. Deterministic, so the Lambda stacks carry it as a literal (no cross-stack import) and a
 * change set for them can be made from the synthesized template before the staging stack exists.
 */
export function stagingBucketName(region: Pick<RegionConfig, 'region' | 'account' | 'stagingBucketName'>): string {
  return region.stagingBucketName ?? `taegis-staging-${region.account}-${region.region}`;
}
