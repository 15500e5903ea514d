/** Helpers to classify AWS SDK errors without depending on each service's exception classes. */

/** The error's name / code as the SDK reports it (`AccessDenied`, `ValidationError`, ...). */
export function awsErrorName(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; Code?: unknown; code?: unknown };
    for (const v of [e.name, e.Code, e.code]) if (typeof v === 'string' && v !== '' && v !== 'Error') return v;
  }
  return 'Error';
}

export function awsErrorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** True for the ways AWS says "you may not": IAM denials, SCPs, KMS and S3 access errors, disabled regions. */
export function isAccessDenied(err: unknown): boolean {
  const name = awsErrorName(err);
  if (
    /AccessDenied|UnauthorizedOperation|NotAuthorized|AuthorizationError|Forbidden|UnrecognizedClient|InvalidClientTokenId/i.test(
      name,
    )
  ) {
    return true;
  }
  const status = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return status === 403;
}

/** One line saying why a read failed, for the report (never a stack trace). */
export function reasonOf(err: unknown): string {
  const name = awsErrorName(err);
  const message = awsErrorMessage(err).split('\n')[0] ?? '';
  return message && message !== name ? `${name}: ${message}` : name;
}
