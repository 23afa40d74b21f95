import { maxReasonTextLength } from '../../src/domain/ledger.js';
import { recommendationViewInputs as ids, recommendationViews } from '../../src/slack-ids.js';
import { truncate } from '../blocks.js';

// The Snooze and Dismiss modals. private_metadata carries the card's place (recommendation id,
// channel, message ts); the submission is authorised again against the stored recommendation.

const plain = (text: string) => ({ type: 'plain_text', text });

export const snoozeChoices = [
  { value: '1d', label: '1 day', days: 1 },
  { value: '7d', label: '7 days', days: 7 },
  { value: '30d', label: '30 days', days: 30 },
  { value: 'until', label: 'Until a date', days: null },
] as const;

export function snoozeModal(title: string, privateMetadata: string): Record<string, unknown> {
  return {
    type: 'modal',
    callback_id: recommendationViews.snooze,
    private_metadata: privateMetadata,
    title: plain('Snooze recommendation'),
    submit: plain('Snooze'),
    close: plain('Cancel'),
    blocks: [
      { type: 'section', text: { type: 'plain_text', text: truncate(title, 2000) } },
      {
        type: 'input',
        block_id: ids.snoozeFor.block,
        label: plain('Snooze for'),
        element: {
          type: 'radio_buttons',
          action_id: ids.snoozeFor.action,
          options: snoozeChoices.map((c) => ({ text: plain(c.label), value: c.value })),
        },
      },
      {
        type: 'input',
        block_id: ids.snoozeUntil.block,
        optional: true,
        label: plain('Until (with "Until a date")'),
        element: { type: 'datepicker', action_id: ids.snoozeUntil.action },
      },
      {
        type: 'input',
        block_id: ids.snoozeReason.block,
        optional: true,
        label: plain('Reason'),
        element: {
          type: 'plain_text_input',
          action_id: ids.snoozeReason.action,
          max_length: maxReasonTextLength,
        },
      },
    ],
  };
}

export const dismissChoices = [
  { value: 'not_worth_it', label: 'Not worth it' },
  { value: 'false_positive', label: 'False positive' },
  { value: 'done_elsewhere', label: 'Done elsewhere' },
] as const;

export function dismissModal(title: string, privateMetadata: string): Record<string, unknown> {
  return {
    type: 'modal',
    callback_id: recommendationViews.dismiss,
    private_metadata: privateMetadata,
    title: plain('Dismiss recommendation'),
    submit: plain('Dismiss'),
    close: plain('Cancel'),
    blocks: [
      { type: 'section', text: { type: 'plain_text', text: truncate(title, 2000) } },
      {
        type: 'input',
        block_id: ids.dismissReason.block,
        label: plain('Reason'),
        element: {
          type: 'radio_buttons',
          action_id: ids.dismissReason.action,
          options: dismissChoices.map((c) => ({ text: plain(c.label), value: c.value })),
        },
      },
      {
        type: 'input',
        block_id: ids.dismissText.block,
        optional: true,
        label: plain('Details'),
        element: {
          type: 'plain_text_input',
          action_id: ids.dismissText.action,
          multiline: true,
          max_length: maxReasonTextLength,
        },
      },
    ],
  };
}
