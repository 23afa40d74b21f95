// Every Slack identifier the app registers, in one place. manifest.yml must declare the same
// commands (test/handlers/manifest.test.ts checks it).

export const slashCommands = {
  bqcost: '/bqcost',
} as const;

export const slackIds = {
  command: slashCommands,
} as const;
