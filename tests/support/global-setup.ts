import amqplib from 'amqplib';

/**
 * Tests get their broker from AMQP_URL when it is set; otherwise they start RabbitMQ with
 * testcontainers. Neither possible: stop with a message that says what to do.
 */
export default async function globalSetup(): Promise<void> {
  if (!process.env.AMQP_URL) {
    let container;
    try {
      const { RabbitMQContainer } = await import('@testcontainers/rabbitmq');
      container = await new RabbitMQContainer('rabbitmq:3.13-management').start();
    } catch (err) {
      throw new Error(
        'No RabbitMQ for the tests: AMQP_URL is not set and testcontainers could not start one ' +
          `(${err instanceof Error ? err.message : String(err)}). ` +
          'Set AMQP_URL=amqp://guest:guest@127.0.0.1:5672 to use a running broker, or start Docker.',
      );
    }
    process.env.AMQP_URL = container.getAmqpUrl();
    (globalThis as { __warrenBroker?: { stop(): Promise<unknown> } }).__warrenBroker = container;
  }
  try {
    const connection = await amqplib.connect(process.env.AMQP_URL);
    await connection.close();
  } catch (err) {
    throw new Error(`AMQP_URL=${process.env.AMQP_URL} is not reachable: ${err instanceof Error ? err.message : String(err)}`);
  }
}
