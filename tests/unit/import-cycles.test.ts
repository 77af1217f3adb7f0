import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importCycles, importGraph, type ImportGraph } from '../support/import-graph.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('import circles', () => {
  it('there are none in server/, client/ and shared/ (type-only imports included)', () => {
    const graph = importGraph(ROOT, ['server', 'client', 'shared']);
    // The walk must have found the code, or an empty graph would pass.
    expect(graph.size).toBeGreaterThan(40);
    expect(graph.get('server/coordinator.ts')).toEqual(expect.arrayContaining(['server/input/input-pipeline.ts', 'shared/index.ts']));
    expect(importCycles(graph)).toEqual([]);
  });

  it('the check finds a circle of three files, and a file importing itself', () => {
    const graph: ImportGraph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts', 'd.ts']],
      ['d.ts', []],
      ['e.ts', ['e.ts']],
    ]);
    expect(importCycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['e.ts']]);
  });

  it('the check finds the circle the server once had (activation ↔ handler context ↔ room delivery)', () => {
    const graph: ImportGraph = new Map([
      ['server/activation.ts', ['server/handlers/context.ts', 'server/room-delivery.ts']],
      ['server/handlers/context.ts', ['server/activation.ts']],
      ['server/room-delivery.ts', ['server/handlers/context.ts']],
    ]);
    expect(importCycles(graph)).toHaveLength(1);
  });
});
