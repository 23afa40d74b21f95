// Slack as seen by use cases and handlers: messages out. Blocks are Block Kit JSON objects.

export interface ChatMessage {
  /** Fallback text (notifications, screen readers); required by Slack next to blocks. */
  text: string;
  blocks?: readonly Record<string, unknown>[];
}

export interface ResponseUrlMessage extends ChatMessage {
  responseType?: 'ephemeral' | 'in_channel';
  replaceOriginal?: boolean;
}

export interface Chat {
  postMessage(channel: string, message: ChatMessage): Promise<{ ts: string }>;
  postEphemeral(channel: string, user: string, message: ChatMessage): Promise<void>;
  update(channel: string, ts: string, message: ChatMessage): Promise<void>;
  /**
   * Posts to a slash command's or interaction's `response_url`. Only https://hooks.slack.com/
   * URLs are accepted: the URL comes from the request body.
   */
  respond(responseUrl: string, message: ResponseUrlMessage): Promise<void>;
  /** Opens a modal (views.open) for an interaction's trigger_id (valid for 3 s). */
  openView(triggerId: string, view: Record<string, unknown>): Promise<void>;
  /** The user's email (users.info → profile.email); null when Slack has none for them. */
  userEmail(userId: string): Promise<string | null>;
  /** The Slack user id for an email (users.lookupByEmail); null when no user has it. */
  lookupUserByEmail(email: string): Promise<string | null>;
  /** Members of a user group (usergroups.users.list), as Slack user ids. */
  userGroupMembers(groupId: string): Promise<readonly string[]>;
  /** Publishes a user's App Home tab (views.publish). */
  publishHomeView(userId: string, view: Record<string, unknown>): Promise<void>;
}
