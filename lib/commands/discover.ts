import { existsSync, readFileSync } from 'node:fs';
import { lambdaCodeSha256 } from '../artifacts/vendor.js';
import * as path from 'node:path';
import { discover as discoverCommand } from '../cli/definition/discover.js';
import { isStdout } from '../cli/flags.js';
import { parseCommand } from '../cli/parse.js';
import { createOutput } from '../cli/output.js';
import { outputFileProblem } from '../cli/output-path.js';
import { openAccountSession, type SessionDeps } from '../cli/session.js';
import { deriveTaegisRegion } from '../config/schema.js';
import { unknownRegion } from '../config/regions.js';
import { normalizeTaegisRegion, TAEGIS_ENVIRONMENTS_HINT } from '../facts/taegis.js';
import { ExitCode, invalidInput, TaegisError } from '../util/errors.js';
import { draftConfig, writeConfig } from '../discover/config.js';
import { discover, enabledRegions, judgePackages, type DiscoverReport } from '../discover/discover.js';
import { discoverOrganization } from '../discover/organization.js';
import { formatDiscoverReport } from '../discover/report.js';

const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$/;

/** Things discover needs from outside; tests pass their own (`accounts`: for --organization). */
export interface DiscoverCliDeps extends SessionDeps {
  readonly out?: (text: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** Today, for the runtime written to the config and the runtime notes; default: the system clock. */
  readonly now?: () => Date;
}

/** `taegis-migrate discover`: parses flags, validates them before any AWS call, discovers, prints, optionally writes. */
export async function discoverMain(argv: readonly string[], deps: DiscoverCliDeps = {}): Promise<ExitCode> {
  const output = createOutput(deps.out ? { stdout: deps.out } : {});
  const { out } = output;
  const env = deps.env ?? process.env;
  const today = (deps.now ?? (() => new Date()))();
  const { values, help } = parseCommand(discoverCommand, argv);
  if (help !== undefined) {
    out(help);
    return ExitCode.Ok;
  }
  const listed = [...new Set([...values.region, ...values.regions])];
  if (listed.length > 0 === values['all-regions']) {
    throw new TaegisError(
      'INPUT_INVALID',
      listed.length > 0 ? '--regions and --all-regions are both given' : 'no region given',
      {
        fix: 'pass either --region us-east-1,eu-west-1 or --all-regions',
      },
    );
  }
  const badRegions = listed.filter((r) => !REGION.test(r));
  // Named as the user typed it: --regions is the older spelling of --region.
  const flag = values.region.length === 0 ? '--regions' : '--region';
  if (badRegions.length > 0) {
    throw new TaegisError('INPUT_INVALID', `${flag}: ${badRegions.join(', ')} is not an AWS region name`, {
      fix: 'use region codes such as us-east-1,eu-west-1',
    });
  }
  const unknown = listed.map((r) => unknownRegion(r, env)).find((p) => p !== undefined);
  if (unknown) throw new TaegisError('INPUT_INVALID', `${flag}: ${unknown.message}`, { fix: unknown.fix });
  const only = values.accounts;
  if (!values.organization && (values['role-name'] !== undefined || only.length > 0)) {
    throw new TaegisError('INPUT_INVALID', '--role-name and --accounts are only for --organization', {
      fix: 'add --organization, or drop them',
    });
  }
  const badAccounts = only.filter((a) => !/^\d{12}$/.test(a));
  if (badAccounts.length > 0) {
    throw new TaegisError('INPUT_INVALID', `--accounts: ${badAccounts.join(', ')} is not a 12-digit account id`, {
      fix: 'pass account ids such as 111111111111,222222222222',
    });
  }
  const roleName = values['role-name'] ?? 'OrganizationAccountAccessRole';
  if (values.organization && values['all-regions']) {
    throw new TaegisError('INPUT_INVALID', '--organization needs --regions (regions enabled differ per account)', {
      fix: 'pass --regions us-east-1,eu-west-1',
    });
  }
  if (values.force && values.write === undefined) {
    throw new TaegisError('INPUT_INVALID', '--force is given without --write', {
      fix: 'add --write FILE, or drop --force',
    });
  }
  const taegisRegion =
    values.write === undefined ? undefined : taegisRegionFrom(values['xdr-login-url'], values['taegis-region']);
  if (values.write !== undefined && existsSync(path.resolve(values.write)) && !values.force) {
    throw new TaegisError(
      'INPUT_INVALID',
      `${path.resolve(values.write)} already exists; nothing was read or written`,
      {
        fix: 'pass --force to overwrite it, or choose another path with --write',
      },
    );
  }

  const outputProblems = [
    values.json === undefined || isStdout(values.json) ? undefined : outputFileProblem('--json', values.json),
    values.write === undefined ? undefined : outputFileProblem('--write', values.write),
  ].filter((p) => p !== undefined);
  if (outputProblems.length > 0) throw invalidInput('INPUT_INVALID', 'flags', outputProblems);

  const zip = values['vendor-zip'];
  if (zip !== undefined && !existsSync(path.resolve(zip))) {
    throw new TaegisError('INPUT_INVALID', `--vendor-zip ${path.resolve(zip)} does not exist; nothing was read`, {
      fix: 'pass the vendor zip the config stages (artifactsDir/taegis-lambda-amd64.zip)',
    });
  }
  const expected = zip === undefined ? undefined : lambdaCodeSha256(readFileSync(path.resolve(zip)));
  // --organization enters the member accounts through the session (discoverOrganization).
  const session = openAccountSession({
    command: 'discover',
    flags: values,
    env,
    deps,
    multiAccount: values.organization === true,
  });
  const { clients, accounts } = session;
  try {
    const home = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
    await session.preflight(listed[0] ?? home);
    const regions = values['all-regions'] ? await enabledRegions(clients, home) : listed;
    const found: DiscoverReport = accounts
      ? await discoverOrganization(session, { regions, roleName, only })
      : await discover(clients, { regions });
    const report = expected === undefined ? found : judgePackages(found, expected);
    output.report(`${JSON.stringify(report, null, 2)}\n`, values.json, {
      text: formatDiscoverReport(report, today),
      announce: true,
    });
    const incomplete =
      report.regions.some((r) => r.error !== undefined || r.unreadable.length > 0) ||
      (report.accounts ?? []).some((a) => a.state === 'not-entered');
    if (values.write !== undefined && taegisRegion !== undefined) {
      const draft = draftConfig(report, {
        taegisRegion,
        now: today,
        ...(accounts ? { access: { roleName } } : {}),
      });
      const sharedRegions = new Set(
        report.regions.flatMap((r) => r.sharedStacks.map((s) => s.taegisRegion)).filter((x) => x !== undefined),
      );
      const mismatch = [...sharedRegions].filter((x) => x !== taegisRegion);
      const warnings = [
        ...draft.warnings,
        ...(mismatch.length > 0
          ? [
              `existing shared stacks use TaegisRegion ${mismatch.join(', ')}, the config says ${taegisRegion}: check which is right`,
            ]
          : []),
      ];
      const written = writeConfig(values.write, draft.config, values.force, today);
      if (warnings.length > 0) out(['', 'Config warnings:', ...warnings.map((w) => `  - ${w}`)].join('\n'));
      out(`\nwrote ${written}`);
    }
    return incomplete ? ExitCode.CheckFailed : ExitCode.Ok;
  } finally {
    session.close();
  }
}

/** The Taegis region to write: from exactly one of the two flags, checked before any AWS call. */
function taegisRegionFrom(loginUrl: string | undefined, region: string | undefined): string {
  if (loginUrl !== undefined && region !== undefined) {
    throw new TaegisError('INPUT_INVALID', '--xdr-login-url and --taegis-region are both given', {
      fix: 'pass only one of them',
    });
  }
  if (loginUrl !== undefined) {
    const derived = deriveTaegisRegion(loginUrl);
    if (derived === undefined) {
      throw new TaegisError('INPUT_INVALID', `--xdr-login-url: no Taegis region can be derived from "${loginUrl}"`, {
        fix: `use the login URL the console shows (https://ctpx.secureworks.com/ or https://<environment>.taegis.secureworks.com/), or pass --taegis-region (${TAEGIS_ENVIRONMENTS_HINT})`,
      });
    }
    return derived;
  }
  if (region !== undefined) {
    if (!/^[A-Za-z][A-Za-z0-9-]{1,30}$/.test(region)) {
      throw new TaegisError('INPUT_INVALID', `--taegis-region: "${region}" is not a Taegis region name`, {
        fix: `use one of ${TAEGIS_ENVIRONMENTS_HINT}`,
      });
    }
    return normalizeTaegisRegion(region);
  }
  throw new TaegisError(
    'INPUT_INVALID',
    '--write needs the Taegis region: the config requires taegisRegion or xdrLoginUrl',
    {
      fix: `add --xdr-login-url https://<your login host>/ (or --taegis-region, one of ${TAEGIS_ENVIRONMENTS_HINT}); the table shows the TaegisRegion of any existing shared stack`,
    },
  );
}
