// Every Slack identifier the app registers, in one place. manifest.yml must declare the same
// commands (test/handlers/manifest.test.ts checks it).

export const slashCommands = {
  bqcost: '/bqcost',
} as const;

/** Buttons on a recommendation card (handlers/blocks/recommendation-card.ts). */
export const recommendationCardActions = {
  accept: 'rec_accept',
  snooze: 'rec_snooze',
  dismiss: 'rec_dismiss',
} as const;

/** The Acknowledge button on an anomaly alert (handlers/blocks/anomaly-alert.ts). */
export const anomalyAlertActions = {
  acknowledge: 'anomaly_ack',
} as const;

/** Modals opened from a card: callback ids, and the block / action ids of their inputs. */
export const recommendationViews = {
  snooze: 'rec_snooze_modal',
  dismiss: 'rec_dismiss_modal',
} as const;

export const recommendationViewInputs = {
  snoozeFor: { block: 'snooze_for', action: 'snooze_for' },
  snoozeUntil: { block: 'snooze_until', action: 'snooze_until' },
  snoozeReason: { block: 'snooze_reason', action: 'snooze_reason' },
  dismissReason: { block: 'dismiss_reason', action: 'dismiss_reason' },
  dismissText: { block: 'dismiss_text', action: 'dismiss_text' },
} as const;

/** The App Home tab (handlers/events/app-home.ts). */
export const homeView = {
  callbackId: 'bqcost_home',
} as const;

/** Events API subscriptions: manifest.yml declares exactly these (test/handlers/manifest.test.ts). */
export const botEvents = {
  appHomeOpened: 'app_home_opened',
} as const;

/**
 * The bot scopes the code needs, each for the Web API methods and features that use it; manifest.yml
 * asks for exactly these.
 */
export const requiredBotScopes = {
  commands: ['/bqcost'],
  'chat:write': ['chat.postMessage', 'chat.postEphemeral', 'chat.update'],
  'users:read': ['users.info'],
  // users.info returns profile.email only with users:read.email too.
  'users:read.email': ['users.lookupByEmail', 'users.info'],
  'usergroups:read': ['usergroups.users.list'],
} as const;

/** Web API methods the app calls that need no scope (modals and the App Home tab). */
export const scopeFreeMethods = ['views.open', 'views.publish'] as const;

export const slackIds = {
  command: slashCommands,
  action: recommendationCardActions,
  view: recommendationViews,
} as const;
