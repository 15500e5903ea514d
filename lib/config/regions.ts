import { RegionInfo } from 'aws-cdk-lib/region-info';

/**
 * AWS regions a target may name: aws-cdk-lib's region information (maintained with every aws-cdk-lib release, the
 * regions its own constructs know facts about), plus the regions a user allows through TAEGIS_MIGRATE_EXTRA_REGIONS
 * (a comma list) for a region newer than the installed aws-cdk-lib. A misspelled region is then bad input (exit 2)
 * before any AWS call, instead of an endpoint that does not resolve after the run started.
 */
export const EXTRA_REGIONS_ENV = 'TAEGIS_MIGRATE_EXTRA_REGIONS';

/** The regions the tool accepts: aws-cdk-lib's list and the environment's additions. */
export function knownRegions(env: NodeJS.ProcessEnv = process.env): ReadonlySet<string> {
  const extra = (env[EXTRA_REGIONS_ENV] ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  return new Set([...RegionInfo.regions.map((r) => r.name), ...extra]);
}

/**
 * Why `name` is not a region the tool accepts, with the nearest known one when it looks like a typo;
 * `undefined` for a known region.
 */
export function unknownRegion(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): { readonly message: string; readonly fix: string } | undefined {
  const known = knownRegions(env);
  if (known.has(name)) return undefined;
  const nearest = [...known]
    .map((r) => ({ r, d: editDistance(name, r) }))
    .sort((a, b) => a.d - b.d || a.r.localeCompare(b.r))[0];
  const guess = nearest !== undefined && nearest.d <= 3 ? `did you mean "${nearest.r}"? ` : '';
  return {
    message: `"${name}" is not an AWS region aws-cdk-lib knows`,
    fix: `${guess}use a region code such as "us-east-1"; for a region newer than aws-cdk-lib, set ${EXTRA_REGIONS_ENV}=${name}`,
  };
}

/** Levenshtein distance, for the "did you mean" of a misspelled region. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
