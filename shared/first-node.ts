import amqplib, { type ChannelModel, type Options } from 'amqplib';
import { brokerUrls } from './broker-urls.js';

/**
 * One plain amqplib connection to the first node of an AMQP URL list that takes it, for the
 * short-lived or self-healing connections that do not go through BrokerConnection (the
 * dead-letter tool, test and bench clean-ups). Fails with the last
 * node's error when none does.
 */
export async function connectFirstNode(list: string, options?: Options.Connect | Record<string, unknown>): Promise<ChannelModel> {
  let lastError: unknown;
  for (const url of brokerUrls(list)) {
    try {
      return await amqplib.connect(url, options);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}
