/**
 * A queue declared earlier with other arguments (before the caps, say) refuses a declaration with
 * the new ones: 406 PRECONDITION_FAILED, "inequivalent arg 'x-max-length' for queue 'warren.chat'
 * in vhost '/': received ... but current is none". This turns that into what an operator must do.
 */
export interface InequivalentQueue {
  queue: string;
  argument: string;
  vhost: string;
  brokerMessage: string;
}

export function inequivalentQueue(err: unknown): InequivalentQueue | undefined {
  if (!(err instanceof Error) || (err as { code?: unknown }).code !== 406) return undefined;
  const found = /inequivalent arg '([^']+)' for queue '([^']+)' in vhost '([^']*)'/.exec(err.message);
  if (!found) return undefined;
  return { argument: found[1] ?? '', queue: found[2] ?? '', vhost: found[3] ?? '/', brokerMessage: err.message };
}

/**
 * Why warren does not migrate by itself: quorum queues cannot be deleted "only if empty"
 * atomically, and a client publishing between a check and the delete would lose a message the
 * broker had confirmed. The operator deletes it once, when nothing is sending.
 */
export function explainInequivalentQueue(found: InequivalentQueue, retryMs: number): string {
  const vhost = found.vhost.replace(/'/g, "'\\''");
  const queue = found.queue.replace(/'/g, "'\\''");
  return [
    `queue ${found.queue} exists with arguments this version no longer uses (argument ${found.argument} differs; it was declared by an earlier version, before the queue caps or before the dead-letter queue became a quorum queue),`,
    `so RabbitMQ refuses to declare it again: 406 PRECONDITION_FAILED (${found.brokerMessage}).`,
    `Warren does not delete it for you, because it may still hold messages. To fix it: stop the clients; if`,
    `rabbitmqctl list_queues -p '${vhost}' name messages shows messages in it, let the previous version of the coordinator take them;`,
    `then delete it once: rabbitmqctl delete_queue -p '${vhost}' '${queue}'`,
    `(or the management UI: Queues > ${found.queue} > Delete). The coordinator tries again every ${Math.round(retryMs / 1000)} s and serves as soon as it can.`,
  ].join(' ');
}
