// The source archive's main module (dist/src/index.js, built from src/index.ts) registers every
// entry point Terraform deploys (`entry_point` of each function module call), under the same
// names: a missing one would deploy a function that cannot start.
import { getFunction } from '@google-cloud/functions-framework/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { functions } from '../../src/domain/topology.js';
import { blocksOf, loadModule, repoRoot } from './hcl.js';
import { join } from 'node:path';

let deployed: string[];

beforeAll(async () => {
  await import('../../src/index.js');
  const stack = await loadModule(join(repoRoot, 'infra/modules/bqcost'));
  deployed = blocksOf(stack, 'module')
    .filter((call) => call.body.source === '../function')
    .map((call) => String(call.body.entry_point));
});

describe('entry points', () => {
  it('Terraform deploys exactly the topology functions', () => {
    expect([...deployed].sort()).toEqual(functions.map((f) => f.name).sort());
  });

  it.each(functions.map((f) => f.name))('%s is registered with functions-framework', (name) => {
    expect(deployed).toContain(name);
    expect(getFunction(name), name).toBeTypeOf('function');
  });

  it('an entry point that is not registered is reported', () => {
    expect(getFunction('notDeployedAnywhere')).toBeUndefined();
  });
});
