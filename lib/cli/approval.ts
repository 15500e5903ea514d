import { createInterface } from 'node:readline/promises';
import {
  PermissionChangeType,
  type DeployConfirmationRequest,
  type IIoHost,
  type IoMessage,
  type IoRequest,
} from '@aws-cdk/toolkit-lib';
import type { REQUIRE_APPROVAL_VALUES } from './definition/deploy.js';

/** The CDK CLI's `--require-approval` values: which security-sensitive changes stop the deploy for a yes/no. */
export type RequireApproval = (typeof REQUIRE_APPROVAL_VALUES)[number];

/** The toolkit's "do you wish to deploy these changes?" request. */
const DEPLOY_CONFIRMATION = 'CDK_TOOLKIT_I5060';
/** The result of `toolkit.list`. */
const STACK_LIST = 'CDK_TOOLKIT_I2901';

/** The CLI's rule: `any-change` asks on any IAM/security change, `broadening` only when permissions widen. */
export function needsApproval(level: RequireApproval, change: PermissionChangeType): boolean {
  if (level === 'never') return false;
  if (level === 'any-change') return change !== PermissionChangeType.NONE;
  return change === PermissionChangeType.BROADENING;
}

/** The CLI's default: ask on a terminal (broadening changes), never in CI or with stdin not a terminal. */
export function defaultRequireApproval(stdinIsTty: boolean): RequireApproval {
  return stdinIsTty ? 'broadening' : 'never';
}

/** Asks y/n on the terminal. */
export async function askOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} (y/n) `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export interface ApprovingIoHostProps {
  readonly requireApproval: RequireApproval;
  /**
   * Asks the user; undefined when nobody can answer (stdin is not a terminal): a change that needs approval then
   * stops the deploy.
   */
  readonly ask?: (question: string) => Promise<boolean>;
  /** Where the diff and the reason go. */
  readonly write: (text: string) => void;
}

/**
 * An IoHost that answers the toolkit's deploy confirmation by `--require-approval`, the CDK CLI's rule, and passes
 * everything else to `inner`. A refusal makes the toolkit delete the change set it made and throw its AbortError;
 * `refused` then names the stack for the error the user sees.
 */
export class ApprovingIoHost implements IIoHost {
  /** The question of the deploy confirmation that was refused, if any. */
  public refused: string | undefined;

  constructor(
    private readonly inner: IIoHost,
    private readonly props: ApprovingIoHostProps,
  ) {}

  notify(msg: IoMessage<unknown>): Promise<void> {
    // The stack list deploy asks the toolkit for internally is not output for the user.
    if (msg.code === STACK_LIST) return Promise.resolve();
    return this.inner.notify(msg);
  }

  async requestResponse<T>(msg: IoRequest<unknown, T>): Promise<T> {
    if (msg.code !== DEPLOY_CONFIRMATION) return this.inner.requestResponse(msg);
    const data = msg.data as DeployConfirmationRequest;
    if (!needsApproval(this.props.requireApproval, data.permissionChangeType)) return true as T;
    this.props.write(msg.message);
    const yes = this.props.ask ? await this.props.ask('') : false;
    // The diff is keyed by the stack's display name: "<construct id with region> (<stack name>)".
    const stack = Object.keys(data.templateDiffs ?? {})[0];
    if (!yes) this.refused = stack === undefined ? data.motivation : `${stack}: ${data.motivation}`;
    return yes as T;
  }
}
