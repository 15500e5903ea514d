import { CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { AwsClientFactory } from '../aws/clients.js';
import { awsErrorName } from '../aws/errors.js';

/** A log group a monitoring stack's metric filters need. */
export interface NeededLogGroup {
  readonly account: string;
  readonly region: string;
  readonly logGroupName: string;
}

/**
 * Creates each log group that does not exist yet, so the metric filters of a monitoring stack can be made before
 * the function first ran. An existing group is left exactly as it is (retention, key, tags). The group is not a
 * stack resource: Lambda writes into it as into the one it would have made itself. Returns the groups created.
 */
export async function ensureLogGroups(
  clientsFor: (account: string) => AwsClientFactory,
  groups: readonly NeededLogGroup[],
): Promise<NeededLogGroup[]> {
  const created: NeededLogGroup[] = [];
  for (const g of groups) {
    try {
      await clientsFor(g.account)
        .logs(g.region)
        .send(new CreateLogGroupCommand({ logGroupName: g.logGroupName }));
      created.push(g);
    } catch (err) {
      // The usual case for a migrated function: the group is there already.
      if (awsErrorName(err) !== 'ResourceAlreadyExistsException') throw err;
    }
  }
  return created;
}
