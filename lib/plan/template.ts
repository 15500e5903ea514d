import { parse, type Tags } from 'yaml';

// CloudFormation's short-form intrinsics, so a console-made stack's YAML template reads like its JSON form.
const FUNCTIONS = [
  'Ref',
  'GetAtt',
  'Sub',
  'Join',
  'Select',
  'Split',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'FindInMap',
  'Base64',
  'Cidr',
  'ImportValue',
  'GetAZs',
  'Condition',
  'Transform',
];
const keyOf = (n: string): string => (n === 'Ref' || n === 'Condition' ? n : `Fn::${n}`);
const CFN_TAGS = FUNCTIONS.flatMap((n) => [
  { tag: `!${n}`, resolve: (s: string) => ({ [keyOf(n)]: n === 'GetAtt' ? s.split('.') : s }) },
  { tag: `!${n}`, collection: 'seq' as const, resolve: (v: { toJSON(): unknown }) => ({ [keyOf(n)]: v.toJSON() }) },
  { tag: `!${n}`, collection: 'map' as const, resolve: (v: { toJSON(): unknown }) => ({ [keyOf(n)]: v.toJSON() }) },
]) as unknown as Tags;

export interface CfnTemplate {
  readonly Parameters?: Readonly<
    Record<string, { readonly Type?: string; readonly Default?: unknown; readonly NoEcho?: unknown }>
  >;
  readonly Resources?: Readonly<Record<string, unknown>>;
}

/** Parses a CloudFormation template body, JSON or YAML (short-form tags included). */
export function parseTemplate(body: string): CfnTemplate {
  const trimmed = body.trimStart();
  if (trimmed.startsWith('{')) return JSON.parse(body) as CfnTemplate;
  return parse(body, { customTags: CFN_TAGS }) as CfnTemplate;
}
