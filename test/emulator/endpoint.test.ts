import { describe, expect, it } from 'vitest';
import { toolkitEndpoint } from '../../lib/emulator/moto.js';

describe('toolkitEndpoint', () => {
  it.each([
    ['http://127.0.0.1:5000', 'http://localhost:5000', true],
    ['http://127.1.2.3:5000/', 'http://localhost:5000/', true],
    ['http://[::1]:5000', 'http://localhost:5000', true],
    ['http://localhost:5000', 'http://localhost:5000', false],
    ['http://10.0.0.5:5000', 'http://10.0.0.5:5000', false],
    ['https://cloudformation.example.internal', 'https://cloudformation.example.internal', false],
  ])('GIVEN %s THEN the toolkit gets %s', (given, expected, noted) => {
    const r = toolkitEndpoint(given);
    expect(r.endpoint).toBe(expected);
    expect(r.note !== undefined).toBe(noted);
  });
});
