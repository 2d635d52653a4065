/**
 * Whether a topic exchange's binding pattern takes a routing key, as
 * RabbitMQ decides it: words separated by dots, `*` standing for exactly one
 * word and `#` for zero or more. The in-process broker routes events with it.
 */
export function topicMatches(pattern: string, routingKey: string): boolean {
  return matchWords(pattern.split('.'), routingKey.split('.'));
}

function matchWords(pattern: readonly string[], words: readonly string[]): boolean {
  if (pattern.length === 0) return words.length === 0;
  const [head, ...rest] = pattern;
  if (head === '#') {
    for (let skipped = 0; skipped <= words.length; skipped++) if (matchWords(rest, words.slice(skipped))) return true;
    return false;
  }
  if (words.length === 0) return false;
  return (head === '*' || head === words[0]) && matchWords(rest, words.slice(1));
}
