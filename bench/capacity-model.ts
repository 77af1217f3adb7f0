#!/usr/bin/env node
/**
 * `node dist/bench/capacity-model.js`: the capacity model of docs/SCALING.md. From the unit costs
 * measured on this machine (bench/capacity-units.ts) and a workload (people online, the share
 * typing, their rate, the room sizes), it prints the rates and resources of that workload, the
 * broker nodes and coordinators it needs as it grows, where each resource hits its wall, and what
 * one room can carry. Every input is a flag; any unit cost can be replaced with --unit name=value.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import { isWarrenError, setting, type SettingsOf } from '../shared/index.js';
import { limitingResource, loadOf, RESOURCES, roomMessageCeiling, sizeFor, utilisationOf, wallFor, type Deployment, type RoomShare, type Workload } from './capacity.js';
import { UNITS, unitValues, type UnitName, type UnitValues } from './capacity-units.js';
import { count, parseSettings, splitList } from './option-schemas.js';

const positive = z.coerce.number().positive().finite();
const share = z.coerce.number().min(0).max(1);

const roomList = z
  .union([z.string(), z.array(z.object({ share: z.number(), members: z.number() }))])
  .transform((raw, ctx) => {
    if (typeof raw !== 'string') return raw;
    const rooms: RoomShare[] = [];
    for (const part of splitList(raw)) {
      const match = /^(\d*\.?\d+):(\d+)$/.exec(part);
      if (!match) {
        ctx.addIssue({ code: 'custom', message: `"${part}" is not share:members (e.g. 0.6:20)` });
        return z.NEVER;
      }
      rooms.push({ share: Number(match[1]), members: Number(match[2]) });
    }
    return rooms;
  })
  .refine((rooms) => rooms.length > 0 && rooms.every((room) => room.members >= 1), 'at least one room, each with at least 1 member')
  .refine((rooms) => Math.abs(rooms.reduce((sum, room) => sum + room.share, 0) - 1) < 1e-6, 'the shares must add up to 1');

const unitOverrides = z
  .union([z.string(), z.record(z.string(), z.number())])
  .transform((raw, ctx) => {
    if (typeof raw !== 'string') return raw as Partial<UnitValues>;
    const overrides: Partial<UnitValues> = {};
    for (const part of splitList(raw)) {
      const [name, value] = part.split('=');
      if (name === undefined || !(name in UNITS)) {
        ctx.addIssue({ code: 'custom', message: `unknown unit "${name ?? part}" (one of ${Object.keys(UNITS).join(', ')})` });
        return z.NEVER;
      }
      const number = Number(value);
      if (value === undefined || value.trim() === '' || !Number.isFinite(number) || number < 0) {
        ctx.addIssue({ code: 'custom', message: `${name}: "${value ?? ''}" is not a number ≥ 0` });
        return z.NEVER;
      }
      overrides[name as UnitName] = number;
    }
    return overrides;
  });

export const CAPACITY_SETTINGS = {
  online: setting({ flag: 'online', description: 'people online (each a WarrenClient: a connection and a queue)', default: 5000, schema: count(1, 100_000_000) }),
  activeShare: setting({ flag: 'active-share', description: 'share of the people online who are typing (0–1)', default: 0.1, schema: share }),
  rate: setting({ flag: 'rate', description: 'messages per typing person per minute', default: 2, schema: positive }),
  rooms: setting({ flag: 'rooms', description: 'room sizes as share:members, comma-separated (shares of the messages, adding up to 1)', default: [
      { share: 0.6, members: 20 },
      { share: 0.3, members: 200 },
      { share: 0.1, members: 1000 },
    ] as RoomShare[],
    schema: roomList }),
  nodes: setting({ flag: 'nodes', description: 'broker nodes in the deployment shown first', default: 1, schema: count(1, 1000) }),
  coordinators: setting({ flag: 'coordinators', description: 'coordinators (each takes a share of the input partitions)', default: 1, schema: count(1, 1000) }),
  store: setting({ flag: 'store', description: 'sqlite (one writer, one file) or postgres', default: 'sqlite' as 'sqlite' | 'postgres', schema: z.enum(['sqlite', 'postgres']) }),
  nodeCores: setting({ flag: 'node-cores', description: 'CPU cores of a broker node', default: 2, schema: positive }),
  nodeMemoryMb: setting({ flag: 'node-memory-mb', description: "memory a broker node may use (RabbitMQ's high watermark: 0.4 of this machine's 24 GB)", default: 9642, schema: positive }),
  nodeOpenFiles: setting({ flag: 'node-open-files', description: 'open-file limit of a broker node (one socket per client)', default: 20_000, schema: count(1024, 10_000_000) }),
  target: setting({ flag: 'target', description: 'utilisation planned for when sizing (0–1)', default: 0.7, schema: z.coerce.number().gt(0).max(1) }),
  units: setting({ flag: 'unit', description: 'unit costs replaced, name=value comma-separated (see the first table)', default: {} as Partial<UnitValues>, schema: unitOverrides }),
};

export type CapacityOptions = SettingsOf<typeof CAPACITY_SETTINGS>;

/** Flags to options; a bad value throws WarrenError CONFIG_INVALID naming the flag. */
export function parseCapacityOptions(argv: string[]): CapacityOptions {
  return parseSettings(new Command('capacity-model').description('the capacity model of docs/SCALING.md'), CAPACITY_SETTINGS, argv, {});
}

const LADDER = [1000, 5000, 10_000, 50_000, 100_000, 500_000, 1_000_000];
const ROOM_SIZES = [20, 200, 1000, 5000, 20_000];

export function renderCapacity(options: CapacityOptions): string {
  const units: UnitValues = { ...unitValues(), ...options.units };
  const workload: Workload = { online: options.online, activeShare: options.activeShare, messagesPerActivePerMinute: options.rate, rooms: options.rooms };
  const deployment: Deployment = {
    brokerNodes: options.nodes,
    coordinators: options.coordinators,
    store: options.store,
    nodeCores: options.nodeCores,
    nodeMemoryMb: options.nodeMemoryMb,
    nodeOpenFiles: options.nodeOpenFiles,
    targetUtilisation: options.target,
  };
  const out: string[] = [];
  out.push('unit costs (measured on 2 vCPU AMD EPYC, RabbitMQ 3.10.8, Node 20; TBD = assumed, to be measured)');
  out.push(
    table(
      ['unit', 'value', 'what', ''],
      (Object.keys(UNITS) as UnitName[]).map((name) => [name, fmt(units[name]), UNITS[name].unit, name in options.units ? 'given' : 'toBeMeasured' in UNITS[name] ? 'TBD' : 'measured']),
    ),
  );

  const load = loadOf(workload, units);
  const roomText = options.rooms.map((room) => `${Math.round(room.share * 100)}% in rooms of ${room.members}`).join(', ');
  out.push('', `workload: ${options.online} online, ${options.activeShare * 100}% typing ${options.rate} msg/min; ${roomText} (mean fan-out ${fmt(load.meanFanout)})`);
  const utilisation = utilisationOf(load, workload, deployment, units);
  out.push(
    table(
      ['figure', 'value'],
      [
        ['chat messages/s', fmt(load.messagesPerSecond)],
        ['heartbeats/s (one input and one reply each)', fmt(load.heartbeatsPerSecond)],
        ['broker deliveries/s', fmt(load.deliveriesPerSecond)],
        ['broker CPU (cores)', fmt(load.brokerCpuCores)],
        ['broker memory (MB)', fmt(load.brokerMemoryMb)],
        ['coordinator CPU (cores, all coordinators)', fmt(load.coordinatorCpuCores)],
        ['coordinator memory (MB, one coordinator holding every session)', fmt(load.coordinatorMemoryMb)],
        ['store commits/s', fmt(load.storeCommitsPerSecond)],
        ['everyone logging in again (broker restart): broker CPU seconds, then ÷ the cores', `${fmt((options.online * units.brokerCpuMsPerJoin) / 1000)} s, ${fmt((options.online * units.brokerCpuMsPerJoin) / 1000 / (options.nodes * options.nodeCores))} s`],
      ],
    ),
  );
  out.push('', `utilisation on ${options.nodes} node(s) × ${options.nodeCores} cores, ${options.coordinators} coordinator(s), ${options.store} (1.00 = the wall)`);
  out.push(table(['resource', 'used ÷ available'], RESOURCES.map((r) => [r, utilisation[r].toFixed(2)])));
  const worst = limitingResource(utilisation);
  out.push(`first wall: ${worst.resource} at ${worst.utilisation.toFixed(2)}`);

  out.push('', `sizing as people grow (same shape; nodes and coordinators to stay under ${options.target} utilisation)`);
  const ladderRows = LADDER.map((online) => {
    const w = { ...workload, online };
    const l = loadOf(w, units);
    const sqlite = sizeFor(w, { ...deployment, store: 'sqlite' }, units);
    const postgres = sizeFor(w, { ...deployment, store: 'postgres' }, units);
    return [
      String(online),
      fmt(l.messagesPerSecond),
      fmt(l.deliveriesPerSecond),
      fmt(l.brokerCpuCores),
      fmt(l.brokerMemoryMb / 1024),
      fmt(l.coordinatorCpuCores),
      sqlite ? `${sqlite.brokerNodes} / ${sqlite.coordinators}` : '> 64',
      postgres ? `${postgres.brokerNodes} / ${postgres.coordinators}` : '> 64',
    ];
  });
  out.push(table(['online', 'msg/s', 'deliveries/s', 'broker cores', 'broker GB', 'coord. cores', 'nodes / coord. (sqlite)', 'nodes / coord. (postgres, TBD)'], ladderRows));
  out.push('(sqlite with more than one coordinator: they share the one writer of one file on one host; the wall table shows where its commits end)');

  out.push('', `the wall as people grow on ${options.nodes} node(s), ${options.coordinators} coordinator(s), ${options.store}: used ÷ available (* at or past 1.00)`);
  const walls = RESOURCES.map((r) => wallFor(r, workload, deployment, units)).filter(Number.isFinite);
  const first = walls.length > 0 ? Math.min(...walls) : 10_000;
  const steps = [0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2].map((f) => Math.max(1, Math.round(first * f)));
  out.push(
    table(
      ['online', ...RESOURCES],
      steps.map((online) => {
        const w = { ...workload, online };
        const u = utilisationOf(loadOf(w, units), w, deployment, units);
        return [String(online), ...RESOURCES.map((r) => `${u[r].toFixed(2)}${u[r] >= 1 ? '*' : ''}`)];
      }),
    ),
  );

  out.push('', 'the wall: people online at which each resource reaches 1.00');
  const shapes: [string, Deployment][] = [
    ['1 node, 1 coordinator, sqlite', { ...deployment, brokerNodes: 1, coordinators: 1, store: 'sqlite' }],
    ['3 nodes, 3 coordinators, postgres (TBD)', { ...deployment, brokerNodes: 3, coordinators: 3, store: 'postgres' }],
    ['9 nodes, 9 coordinators, postgres (TBD)', { ...deployment, brokerNodes: 9, coordinators: 9, store: 'postgres' }],
  ];
  out.push(table(['resource', ...shapes.map(([name]) => name)], RESOURCES.map((r) => [r, ...shapes.map(([, d]) => people(wallFor(r, workload, d, units)))])));

  out.push('', 'one room: messages/s before its deliveries fill the broker CPU (nothing else running)');
  out.push(
    table(
      ['members', '1 node, a queue per member', '3 nodes, a queue per member', '1 node, one stream (TBD)'],
      ROOM_SIZES.map((members) => {
        const one = roomMessageCeiling(members, { ...deployment, brokerNodes: 1 }, units);
        const three = roomMessageCeiling(members, { ...deployment, brokerNodes: 3 }, units);
        return [String(members), fmt(one.queues), fmt(three.queues), fmt(one.stream)];
      }),
    ),
  );
  return `${out.join('\n')}\n`;
}

function people(n: number): string {
  return Number.isFinite(n) ? String(n) : '> 100,000,000';
}

function fmt(value: number): string {
  if (value >= 100) return String(Math.round(value));
  if (value >= 10) return value.toFixed(1);
  return String(Math.round(value * 1000) / 1000);
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function main(): number {
  try {
    process.stdout.write(renderCapacity(parseCapacityOptions(process.argv.slice(2))));
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (isWarrenError(err)) {
      process.stderr.write(`${err.code}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

const invokedAs = process.argv[1];
if (invokedAs !== undefined && realpathSync(invokedAs) === fileURLToPath(import.meta.url)) process.exitCode = main();
