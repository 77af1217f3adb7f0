export default async function globalTeardown(): Promise<void> {
  const broker = (globalThis as { __warrenBroker?: { stop(): Promise<unknown> } }).__warrenBroker;
  await broker?.stop();
}
