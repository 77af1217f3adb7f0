import { encodeDeliveries } from '../../shared/index.js';

/**
 * The messages of one turn bound for the same place (a routing key, a client's queue), in the
 * order they were produced, each encoded as JSON once. `bodies` turns a group into deliveries:
 * one batch when the receivers take batches (shared/delivery-batch.ts), else one per message.
 */
export class DeliveryGroups {
  private readonly groups = new Map<string, { json: string[]; correlationIds: (string | undefined)[] }>();

  /** `correlationId`: set on the delivery when the message goes out on its own (a reply's requestId). */
  add(target: string, body: unknown, correlationId?: string): void {
    const json = JSON.stringify(body);
    const group = this.groups.get(target);
    if (group) {
      group.json.push(json);
      group.correlationIds.push(correlationId);
    } else this.groups.set(target, { json: [json], correlationIds: [correlationId] });
  }

  *deliveries(batched: (target: string) => boolean): Generator<{ target: string; body: Buffer; correlationId?: string | undefined }> {
    for (const [target, { json, correlationIds }] of this.groups) {
      if (json.length > 1 && batched(target)) {
        for (const body of encodeDeliveries(json)) yield { target, body };
      } else {
        for (const [i, item] of json.entries()) yield { target, body: Buffer.from(item), correlationId: correlationIds[i] };
      }
    }
  }
}
