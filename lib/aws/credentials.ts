import type { AwsClientFactory } from './clients.js';
import { TaegisError } from '../util/errors.js';

/** Resolving credentials makes no AWS request; a missing chain is bad input (exit 2) before anything is read or written. */
export async function requireCredentials(clients: AwsClientFactory, region: string): Promise<void> {
  try {
    const provider = clients.s3(region).config.credentials;
    const creds = await provider();
    if (!creds.accessKeyId) throw new Error('empty access key');
  } catch (err) {
    throw new TaegisError('CREDENTIALS_MISSING', `no AWS credentials found: ${(err as Error).message}`, {
      fix: 'set AWS_PROFILE (or --profile), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run "aws sso login"',
      cause: err,
    });
  }
}
