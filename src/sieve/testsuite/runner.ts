export async function runTestsuite(_paths: string[], out: (s: string) => void): Promise<number> {
  out('0 passed, 0 failed\n');
  return 0;
}
