/** Construct id (and default CloudFormation stack name) of a region's staging stack. */
export const stagingStackId = (region: string): string => `TaegisStaging-${region}`;
/** Construct id of a region's shared-resources stack (its CloudFormation name comes from config). */
export const sharedStackId = (region: string): string => `TaegisShared-${region}`;
/** Construct id of a migrated Lambda stack (its CloudFormation name is the existing stack's name). */
export const lambdaStackId = (region: string, stackName: string): string => `TaegisLambda-${region}-${stackName}`;

/** The staging bucket's name (defined with the config, whose template checks need it too). */
export { stagingBucketName } from '../config/derived.js';
