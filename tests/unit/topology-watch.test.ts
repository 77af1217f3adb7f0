import { explainInequivalentQueue, inequivalentQueue } from '../../server/broker/precondition.js';
import { watchedTopology } from '../../server/sweeps/topology-keeper.js';
import { TopologyWatch } from '../../server/sweeps/topology-watch.js';
import { topologyFor } from '../../shared/index.js';
import { secureTopologyFor } from '../../shared/secure-topology.js';

function watchWith(restore: () => Promise<void>): { watch: TopologyWatch; lines: string[] } {
  const lines: string[] = [];
  const watch = new TopologyWatch({
    watched: watchedTopology(secureTopologyFor('w')),
    openChannel: () => Promise.resolve(undefined),
    restore,
    logger: { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) },
    intervalMs: 1000,
  });
  return { watch, lines };
}

describe('the topology watch', () => {
  it('watches the queues, exchanges and own bindings of a namespace; secure mode adds the input exchange and its bindings', () => {
    const open = watchedTopology(topologyFor('w'));
    expect(open.queues).toEqual(['w.chat', 'w.commands', 'w.dead-letter']);
    expect(open.exchanges).toEqual(['w.events', 'w.dead-letter']);
    // Re-bound on each check, never probed: a probe would be counted in the dead-letter queue and never delivered.
    expect(open.bindings).toEqual([{ queue: 'w.dead-letter', exchange: 'w.dead-letter', routingKey: '', rebind: true }]);
    const secure = watchedTopology(secureTopologyFor('w'));
    expect(secure.exchanges).toContain('w.input');
    expect(secure.bindings).toContainEqual({ queue: 'w.chat', exchange: 'w.input', routingKey: 'chat' });
    expect(secure.bindings).toContainEqual({ queue: 'w.commands', exchange: 'w.input', routingKey: 'command' });
  });

  it('acts on broker events about its own names only, logging each with the name', async () => {
    let restores = 0;
    const { watch, lines } = watchWith(() => Promise.resolve(void (restores += 1)));
    watch.onBrokerEvent('queue.deleted', { name: Buffer.from('other.chat') });
    watch.onBrokerEvent('exchange.deleted', { name: 'w.eventsX' });
    watch.onBrokerEvent('binding.deleted', { source_name: 'w.input', destination_name: 'w.chat', routing_key: 'command' });
    watch.onBrokerEvent('queue.created', { name: 'w.chat' });
    expect(lines).toEqual([]);
    watch.onBrokerEvent('queue.deleted', { name: Buffer.from('w.chat') });
    await watch.restoreNow('settle');
    watch.onBrokerEvent('binding.deleted', { source_name: 'w.input', destination_name: 'w.chat', routing_key: 'chat' });
    await watch.restoreNow('settle');
    expect(lines.filter((l) => l.startsWith('warn'))).toEqual([
      'warn broker event queue.deleted: queue w.chat was deleted; restoring it',
      'warn broker event binding.deleted: binding w.input -> w.chat (chat) was removed; restoring it',
    ]);
    expect(restores).toBeGreaterThanOrEqual(2);
  });

  it('serialises restores and runs one more when something happens during one', async () => {
    let running = 0;
    let most = 0;
    let count = 0;
    const { watch, lines } = watchWith(async () => {
      running += 1;
      most = Math.max(most, running);
      count += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      running -= 1;
    });
    watch.consumerCancelled('w.chat');
    watch.consumerCancelled('w.commands');
    watch.consumerCancelled('w.chat');
    await watch.restoreNow('settle');
    expect(most).toBe(1);
    expect(count).toBe(2);
    expect(lines.filter((l) => l.includes("cancelled the coordinator's consumer of queue w.chat"))).toHaveLength(2);
  });

  it('a restore whose channel died: the set-up on the new connection restores it, and the log says so once', async () => {
    let fail = true;
    const { watch, lines } = watchWith(() => (fail ? Promise.reject(new Error('Channel ended, no reply will be forthcoming')) : Promise.resolve()));
    watch.consumerCancelled('w.chat');
    await watch.restoreNow('settle');
    expect(lines.filter((l) => l.startsWith('info'))).toEqual([]);
    watch.setUpAgain();
    watch.setUpAgain();
    expect(lines.filter((l) => l.startsWith('info'))).toEqual(["info restored consumer of w.chat (by the reconnect's set-up); serving again"]);
    // A set-up with nothing left behind says nothing; a restore that works clears what was left.
    fail = false;
    watch.setUpAgain();
    fail = true;
    await watch.restoreNow('queue w.commands');
    fail = false;
    await watch.restoreNow('queue w.events');
    watch.setUpAgain();
    expect(lines.filter((l) => l.startsWith('info')).slice(1)).toEqual(['info restored queue w.events; serving again']);
  });

  it('says so when a restore fails, and a stopped watch does nothing', async () => {
    const { watch, lines } = watchWith(() => Promise.reject(new Error('broker says no')));
    await watch.restoreNow('queue w.chat');
    expect(lines).toContain('error could not restore queue w.chat: broker says no (next check in 1000 ms)');
    watch.stop();
    watch.consumerCancelled('w.chat');
    expect(await watch.check()).toEqual([]);
  });
});

describe('a queue an earlier version declared without the caps', () => {
  const err = Object.assign(
    new Error(
      "Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message \"PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue 'warren.chat' in vhost '/': received the value '10000' of type 'signedint' but current is none\"",
    ),
    { code: 406 },
  );

  it('is recognised from the 406, with the queue, the argument and the vhost', () => {
    expect(inequivalentQueue(err)).toMatchObject({ queue: 'warren.chat', argument: 'x-max-length', vhost: '/' });
    expect(inequivalentQueue(new Error('other'))).toBeUndefined();
    expect(inequivalentQueue(Object.assign(new Error('PRECONDITION_FAILED - unknown delivery tag 1'), { code: 406 }))).toBeUndefined();
  });

  it('is explained with the exact command that fixes it', () => {
    const found = inequivalentQueue(err);
    if (!found) throw new Error('not recognised');
    const text = explainInequivalentQueue(found, 30_000);
    expect(text).toContain('406 PRECONDITION_FAILED');
    expect(text).toContain("rabbitmqctl delete_queue -p '/' 'warren.chat'");
    expect(text).toContain('tries again every 30 s');
  });
});
