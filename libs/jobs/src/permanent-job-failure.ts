/**
 * A failure no retry can mend (a mail server refusing a recipient for
 * good): a handler throws it to make its job dead at once, with this
 * message, instead of spending the rest of its attempts.
 */
export class PermanentJobFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobFailure';
  }
}
