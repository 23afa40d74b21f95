import { WebSocketServer, type WebSocket } from 'ws';

// Slack's end of a Socket Mode connection, on 127.0.0.1: it greets each client with Slack's
// `hello`, sends envelopes, and records what the client sends back (the acks) and how it closed.

export class FakeSlackSocket {
  readonly sockets: WebSocket[] = [];
  readonly received: { envelope_id: string; payload: unknown }[] = [];
  readonly closes: number[] = [];
  private waiters: (() => void)[] = [];

  private constructor(
    readonly server: WebSocketServer,
    hello: boolean,
  ) {
    server.on('connection', (socket) => {
      this.sockets.push(socket);
      socket.on('message', (data: Buffer) => {
        this.received.push(
          JSON.parse(data.toString('utf8')) as FakeSlackSocket['received'][number],
        );
        this.wake();
      });
      socket.on('close', (code) => {
        this.closes.push(code);
        this.wake();
      });
      if (!hello) return;
      socket.send(
        JSON.stringify({
          type: 'hello',
          num_connections: 1,
          debug_info: { host: 'applink-test', build_number: 1, approximate_connection_time: 18060 },
          connection_info: { app_id: 'A0001' },
        }),
      );
    });
  }

  /** `hello: false`: a server that accepts the connection and never greets. */
  static async start(options: { hello?: boolean } = {}): Promise<FakeSlackSocket> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    return new FakeSlackSocket(server, options.hello ?? true);
  }

  get url(): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
    return `ws://127.0.0.1:${address.port}/`;
  }

  send(envelope: Record<string, unknown>): void {
    const socket = this.sockets.at(-1);
    if (!socket) throw new Error('nobody connected');
    socket.send(JSON.stringify(envelope));
  }

  /** The ack for one envelope, waiting for it. */
  async ackOf(envelopeId: string, timeoutMs = 5000): Promise<{ payload: unknown }> {
    await this.until(() => this.received.some((m) => m.envelope_id === envelopeId), timeoutMs);
    return this.received.find((m) => m.envelope_id === envelopeId)!;
  }

  async until(done: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error('timed out waiting on the fake Slack socket');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
