// The layers of ARCHITECTURE.md, enforced: codecs -> sessions -> core -> store ports; only cli composes.
const codecs = '^src/(wire|mime|sieve|imap/proto|smtp/proto|pop3/proto|managesieve/proto)/';
const protocols = '^src/(smtp|imap|pop3|managesieve|http)/';
module.exports = {
  forbidden: [
    {
      name: 'no-circular-layers',
      severity: 'error',
      from: { path: '^src/(wire)/' },
      to: { path: '^src/(?!wire/)' },
    },
    {
      name: 'codecs-are-pure',
      comment: 'A codec is fed bytes and returns values: no store, no core, no sockets, no sessions.',
      severity: 'error',
      from: { path: codecs },
      to: { path: ['^src/(store|core|server|cli|http)/', '^(node:)?(net|tls|dgram|http|https|fs)$'] },
    },
    {
      name: 'core-uses-ports-only',
      comment:
        'The domain sees role interfaces (src/store/*.ts), never an engine, a protocol or the runtime.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: {
        path: ['^src/store/(sql|blob)/', protocols, '^src/(server|cli)/', '^(kysely|pg|better-sqlite3)$'],
      },
    },
    {
      name: 'store-below-core',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: ['^src/(core|server|cli)/', protocols] },
    },
    {
      name: 'protocols-call-core-not-sql',
      comment: 'No protocol reaches into SQL: they call the domain.',
      severity: 'error',
      from: { path: protocols },
      to: { path: ['^src/store/(sql|blob)/', '^src/cli/', '^(kysely|pg|better-sqlite3)$'] },
    },
    {
      name: 'protocols-do-not-call-each-other',
      severity: 'error',
      from: { path: '^src/(smtp|imap|pop3|managesieve|http)/' },
      to: { path: '^src/(smtp|imap|pop3|managesieve|http)/', pathNot: '^src/$1/' },
    },
    {
      name: 'runtime-knows-no-protocol',
      severity: 'error',
      from: { path: '^src/server/' },
      to: { path: [protocols, '^src/(cli|store/sql|store/blob)/'] },
    },
    {
      name: 'no-circular',
      comment: 'Type-only cycles are erased at compile time; runtime cycles are not allowed.',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
