import { CLIENT_MAIN, spawnCoordinator, spawnScriptedClient, type CoordinatorProcess, type Program } from '../support/programs.js';
import { TerminalSession } from '../support/terminal.js';
import { waitFor } from '../support/wait.js';

/** Rooms, private messages and the message life cycle as a person at a terminal sees them. */
describe('conversations in the terminal client', () => {
  let coordinator: CoordinatorProcess;
  let sam: Program;
  let term: TerminalSession;

  /** The number the screen shows before my message with this text. */
  const numOf = async (text: string): Promise<number> => {
    const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const pattern = new RegExp(`\\((\\d+)\\) tina \\(you\\): ${escaped}`);
    const match = await waitFor(() => pattern.exec(term.text()) ?? undefined, () => `my message "${text}" on the screen:\n${term.text()}`);
    return Number(match[1]);
  };
  const samSays = (line: string): void => {
    sam.child.stdin?.write(`${line}\n`);
  };
  const samSaw = (pattern: RegExp | string, what: string): Promise<boolean> =>
    waitFor(
      () => (typeof pattern === 'string' ? sam.stdout().includes(pattern) : pattern.test(sam.stdout())),
      () => `${what}; sam's output:\n${sam.stdout()}\nstderr:\n${sam.stderr()}`,
    );

  beforeAll(async () => {
    coordinator = await spawnCoordinator();
    sam = spawnScriptedClient(coordinator, 'sam');
    await samSaw('Welcome to warren, sam!', 'sam to log in');
    term = new TerminalSession(process.execPath, [CLIENT_MAIN, '--user', 'tina'], {
      AMQP_URL: coordinator.env.AMQP_URL ?? '',
      WARREN_NAMESPACE: coordinator.namespace,
    });
    await term.waitForText('Welcome to warren, tina!');
  });
  afterAll(async () => {
    term.kill();
    if (sam.child.exitCode === null) {
      sam.child.stdin?.end();
      const kill = setTimeout(() => sam.child.kill('SIGKILL'), 5000);
      await sam.exited;
      clearTimeout(kill);
    }
    await coordinator.stop();
  });

  it('/create switches the prompt to the room; a member elsewhere sees its lines tagged with the room', async () => {
    term.enter('/create lounge');
    await term.waitForText('created #lounge; you are its admin');
    await waitFor(() => term.cursorLine().includes('#lounge tina>'), () => `the prompt to show #lounge; cursor line: ${term.cursorLine()}`);

    samSays('/join lounge');
    await samSaw('Lines you type now go to #lounge.', 'sam to join #lounge');
    await term.waitForText('sam joined #lounge');
    samSays('/room general');
    await samSaw('Lines you type now go to #general.', 'sam to switch back to #general');

    term.enter('hello lounge');
    await term.waitForText(/\(\d+\) tina \(you\): hello lounge/);
    await samSaw(/\(\d+\) #lounge tina: hello lounge/, 'sam to see the line tagged #lounge');
    // On tina's own screen the room is the current one: no tag.
    expect(term.text()).not.toMatch(/#lounge tina \(you\): hello lounge/);
  });

  it('/msg is shown as private on both sides', async () => {
    term.enter('/msg sam just between us');
    await term.waitForText(/\[private → sam\] tina \(you\): just between us/);
    await term.waitForText('delivered to sam');
    await samSaw(/\[private\] tina: just between us/, 'sam to see the private message');
  });

  it('/edit replaces my line on screen, marked (edited)', async () => {
    term.enter('a typo messsage');
    const num = await numOf('a typo messsage');
    term.enter(`/edit ${num} a fixed message`);
    await term.waitForText(`Message ${num} edited.`);
    await term.waitForText(new RegExp(`\\(${num}\\) tina \\(you\\): a fixed message \\(edited\\)`));
    expect(term.text()).not.toContain('messsage');
    await samSaw(`message (${num}) was edited: a fixed message`, 'sam to be told of the edit');
  });

  it('/delete removes the text from the screen', async () => {
    term.enter('regrettable words');
    const num = await numOf('regrettable words');
    await samSaw('tina: regrettable words', 'sam to see it first');
    term.enter(`/delete ${num}`);
    await term.waitForText(`Message ${num} deleted.`);
    await term.waitForText(`message (${num}) from tina was deleted by tina`);
    expect(term.text()).not.toContain('regrettable words');
    await samSaw(`message (${num}) from tina was deleted by tina`, 'sam to be told of the deletion');
  });

  it('/ttl 2s: the message disappears from the screen when its time is up', async () => {
    term.enter('/ttl 2s vanishing words');
    const num = await numOf('vanishing words');
    await term.waitForText(/vanishing words \(disappears at \d{2}:\d{2}:\d{2}\)/);
    await term.waitForText(`message (${num}) from tina expired`, 15_000);
    expect(term.text()).not.toContain('vanishing words');
    await samSaw(`message (${num}) from tina expired`, 'sam to be told of the expiry');
    await waitFor(
      () => coordinator.logLines().some((line) => new RegExp(` EXPIRE room=lounge num=${num} `).test(line)),
      'the EXPIRE line in the log',
    );
  });
});
