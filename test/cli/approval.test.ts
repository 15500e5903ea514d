import { describe, expect, it } from 'vitest';
import { PermissionChangeType } from '@aws-cdk/toolkit-lib';
import { defaultRequireApproval, needsApproval } from '../../lib/cli/approval.js';

describe('--require-approval, the CDK CLI rule', () => {
  it('GIVEN each level THEN never asks never, any-change on any security change, broadening only when permissions widen', () => {
    const { NONE, NON_BROADENING, BROADENING } = PermissionChangeType;
    expect([NONE, NON_BROADENING, BROADENING].map((c) => needsApproval('never', c))).toEqual([false, false, false]);
    expect([NONE, NON_BROADENING, BROADENING].map((c) => needsApproval('any-change', c))).toEqual([false, true, true]);
    expect([NONE, NON_BROADENING, BROADENING].map((c) => needsApproval('broadening', c))).toEqual([false, false, true]);
    expect(defaultRequireApproval(true)).toBe('broadening');
    expect(defaultRequireApproval(false)).toBe('never');
  });
});
