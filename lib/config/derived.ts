import type { RegionConfig } from './schema.js';

/**
 * The staging bucket's name: `stagingBucketName`, else its documented default. Deterministic, so the Lambda stacks
 * carry it as a literal (no cross-stack import) and a change set for them can be made from the synthesized template
 * before the staging stack exists. Lives with the config (the template checks need it too); lib/stacks re-exports it.
 */
export function stagingBucketName(region: Pick<RegionConfig, 'region' | 'account' | 'stagingBucketName'>): string {
  return region.stagingBucketName ?? `taegis-staging-${region.account}-${region.region}`;
}
