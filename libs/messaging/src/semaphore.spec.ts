import { IsolationGate } from './semaphore';

/** Enters `gate` and records the order in which holders got in. */
function enter(gate: IsolationGate, name: string, alone: boolean, entered: string[]): Promise<void> {
  return (alone ? gate.enterAlone() : gate.enterTogether()).then(() => {
    entered.push(name);
  });
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe(IsolationGate.name, () => {
  it('lets holders in together', async () => {
    const gate = new IsolationGate();
    const entered: string[] = [];
    await Promise.all([enter(gate, 'a', false, entered), enter(gate, 'b', false, entered), enter(gate, 'c', false, entered)]);
    expect(entered).toEqual(['a', 'b', 'c']);
  });

  it('lets one in alone only once the others have left, and keeps later ones out until it leaves', async () => {
    const gate = new IsolationGate();
    const entered: string[] = [];
    await enter(gate, 'a', false, entered);
    await enter(gate, 'b', false, entered);
    void enter(gate, 'solo', true, entered);
    void enter(gate, 'c', false, entered);
    await settle();
    expect(entered).toEqual(['a', 'b']);

    gate.leave();
    await settle();
    expect(entered).toEqual(['a', 'b']);
    gate.leave();
    await settle();
    expect(entered).toEqual(['a', 'b', 'solo']);

    gate.leave();
    await settle();
    expect(entered).toEqual(['a', 'b', 'solo', 'c']);
  });

  it('runs two that must be alone one after the other, in arrival order, and those together behind them at once', async () => {
    const gate = new IsolationGate();
    const entered: string[] = [];
    await enter(gate, 'first', true, entered);
    void enter(gate, 'second', true, entered);
    void enter(gate, 'x', false, entered);
    void enter(gate, 'y', false, entered);
    await settle();
    expect(entered).toEqual(['first']);
    gate.leave();
    await settle();
    expect(entered).toEqual(['first', 'second']);
    gate.leave();
    await settle();
    expect(entered).toEqual(['first', 'second', 'x', 'y']);
  });
});
