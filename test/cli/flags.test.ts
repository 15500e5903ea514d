import { describe, expect, it } from 'vitest';
import { needsApproval, defaultRequireApproval } from '../../lib/cli/approval.js';
import { configPathFrom, listFlag, withOptionalValue } from '../../lib/cli/flags.js';
import { PermissionChangeType } from '@aws-cdk/toolkit-lib';

describe('the common flags', () => {
  it('GIVEN --config PATH, -c PATH or -c config=PATH THEN the same path; another -c key is refused with its fix', () => {
    expect(configPathFrom(undefined)).toBe('taegis.config.json');
    expect(configPathFrom('a.json')).toBe('a.json');
    expect(configPathFrom('config=b.json')).toBe('b.json');
    expect(() => configPathFrom('region=us-east-1')).toThrow(/only -c config=PATH is taken here/);
  });

  it('GIVEN --region repeated and as comma lists THEN one list without blanks or repeats', () => {
    expect(listFlag(['us-east-1,eu-west-1', ' eu-west-1 '], ['ap-south-1,'])).toEqual([
      'us-east-1',
      'eu-west-1',
      'ap-south-1',
    ]);
    expect(listFlag(undefined)).toEqual([]);
  });

  it('GIVEN --json with and without a file THEN "-" (stdout) is filled in only when no file follows', () => {
    expect(withOptionalValue(['--json'], '--json')).toEqual(['--json', '-']);
    expect(withOptionalValue(['--json', '--config', 'x'], '--json')).toEqual(['--json', '-', '--config', 'x']);
    expect(withOptionalValue(['--json', 'r.json'], '--json')).toEqual(['--json', 'r.json']);
    expect(withOptionalValue(['--json', '-'], '--json')).toEqual(['--json', '-']);
    expect(withOptionalValue(['--json=r.json'], '--json')).toEqual(['--json=r.json']);
    expect(withOptionalValue(['--', '--json'], '--json')).toEqual(['--', '--json']);
  });
});

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
