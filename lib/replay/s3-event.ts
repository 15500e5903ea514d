/**
 * The S3 event notification S3 itself sends for a new object, rebuilt for `backfill` so the function cannot tell a
 * backfilled object from one S3 announced (event structure version 2.1, as documented in "Event message structure").
 */

/** The object as ListObjectsV2 describes it. */
export interface ListedObject {
  readonly key: string;
  readonly size: number;
  /** With or without the quotes S3's listing puts around it. */
  readonly eTag: string;
  readonly lastModified: Date;
}

/**
 * A key URL-encoded as S3 encodes it in event notifications: form encoding (a space is `+`, as in
 * `application/x-www-form-urlencoded`), every byte other than letters, digits and `. - _ *` as `%XX` of its UTF-8,
 * and `/` left as it is (keys arrive as `AWSLogs/123/...`). So `a b=c.gz` is `a+b%3Dc.gz`; consumers decode with
 * `decodeURIComponent(key.replace(/\+/g, ' '))`.
 */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
    .replace(/%2F/g, '/');
}

/** The `ObjectCreated:Put` notification S3 would have sent for `object` of `bucket`, one record. */
export function s3PutEvent(
  bucket: { readonly name: string; readonly partition: string; readonly region: string },
  object: ListedObject,
): { readonly Records: readonly Record<string, unknown>[] } {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: bucket.region,
        eventTime: object.lastModified.toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'taegis-migrate-backfill' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: {},
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'taegis-migrate-backfill',
          bucket: {
            name: bucket.name,
            ownerIdentity: { principalId: 'taegis-migrate-backfill' },
            arn: `arn:${bucket.partition}:s3:::${bucket.name}`,
          },
          object: {
            key: encodeS3EventKey(object.key),
            size: object.size,
            eTag: object.eTag.replace(/^"|"$/g, ''),
          },
        },
      },
    ],
  };
}
