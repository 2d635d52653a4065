import { ArrayMaxSize, ArrayNotEmpty, ArrayUnique, IsArray, IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { Characters, EVENT_SUBSCRIPTIONS } from '@baton/contracts';
import { MAX_WEBHOOK_URL_LENGTH } from '@baton/webhooks';

const EVENTS_MESSAGE = `each of events must be an event type, a prefix with .* or *: one of ${EVENT_SUBSCRIPTIONS.join(', ')}`;

/** The body of POST /v1/webhook-endpoints. The URL's host is checked further (resolved, public) before it is stored. */
export class CreateWebhookEndpointDto {
  @IsString()
  @MaxLength(MAX_WEBHOOK_URL_LENGTH, { message: `url must be at most ${MAX_WEBHOOK_URL_LENGTH} characters` })
  url: string;

  @IsArray()
  @ArrayNotEmpty({ message: 'events must name at least one event type' })
  @ArrayMaxSize(EVENT_SUBSCRIPTIONS.length)
  @ArrayUnique({ message: 'events must not name a type twice' })
  @IsIn(EVENT_SUBSCRIPTIONS, { each: true, message: EVENTS_MESSAGE })
  events: string[];

  @IsOptional()
  @IsString()
  @Characters(0, 500)
  description?: string;
}

/** The body of PATCH /v1/webhook-endpoints/:id: what is given changes. */
export class UpdateWebhookEndpointDto {
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty({ message: 'events must name at least one event type' })
  @ArrayMaxSize(EVENT_SUBSCRIPTIONS.length)
  @ArrayUnique({ message: 'events must not name a type twice' })
  @IsIn(EVENT_SUBSCRIPTIONS, { each: true, message: EVENTS_MESSAGE })
  events?: string[];

  @IsOptional()
  @IsString()
  @Characters(0, 500)
  description?: string;

  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}
