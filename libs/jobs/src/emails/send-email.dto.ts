import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsEmail,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import { Characters, CurrencyCode, isUuid } from '@baton/contracts';
import { EMAIL_TEMPLATES, EmailTemplateName, isEmailTemplateName } from './email-templates';

// A name, a product name, an order number: text that may reach the Subject
// header, so no control character (CR and LF among them) and no Unicode line
// or paragraph separator.
const ONE_LINE = /^[^\p{Cc}\u2028\u2029]*$/u;
// A note may run over several lines; other control characters it may not hold.
const LINES = /^[^\0-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]*$/u;

const OneLine = (): PropertyDecorator => Matches(ONE_LINE, { message: '$property must be one line of text, without control characters' });

export class WelcomeEmailData {
  @IsString()
  @Characters(1, 200)
  @OneLine()
  name: string;

  /** The product the user signed up to, as the greeting names it. */
  @IsOptional()
  @IsString()
  @Characters(1, 100)
  @OneLine()
  appName?: string;

  /** Where the email's button leads: https only, no credentials in it. */
  @IsOptional()
  @IsString()
  // 2,048: the longest URL every mail client and browser is known to follow.
  @Characters(1, 2048)
  @IsUrl(
    { protocols: ['https'], require_protocol: true, require_valid_protocol: true, disallow_auth: true },
    { message: 'actionUrl must be an https:// URL' },
  )
  actionUrl?: string;
}

export class OrderItemData {
  @IsString()
  @Characters(1, 200)
  @OneLine()
  description: string;

  @IsInt()
  @Min(1)
  @Max(100_000)
  quantity: number;

  /** In the currency's minor unit (cents for EUR, yen for JPY), as invoices carry prices. */
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  unitPriceCents: number;
}

export class OrderConfirmationData {
  @IsString()
  @Characters(1, 200)
  @OneLine()
  name: string;

  @IsString()
  @Characters(1, 64)
  @OneLine()
  orderNumber: string;

  @CurrencyCode()
  currency: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  // ValidateNested looks inside nested arrays too: each item must be an object itself.
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => OrderItemData)
  items: OrderItemData[];

  @IsOptional()
  @IsString()
  @Characters(0, 2000)
  @Matches(LINES, { message: 'note must be text without control characters other than line breaks and tabs' })
  note?: string;
}

/** The data each template takes. */
export interface EmailTemplateData {
  welcome: WelcomeEmailData;
  'order-confirmation': OrderConfirmationData;
}

const EMAIL_DATA_CLASSES: { [Name in EmailTemplateName]: new () => EmailTemplateData[Name] } = {
  welcome: WelcomeEmailData,
  'order-confirmation': OrderConfirmationData,
};

// One address as RFC 5321 carries it (a forward-path is at most 256 octets
// with its angle brackets): no display name, no list, no quoting, no IP
// literal, nothing a mail header would read as more than one recipient.
const BARE_ADDRESS = /^[^\s\p{Cc}<>(),;:"\\[\]@]+@[^\s\p{Cc}<>(),;:"\\[\]@]+$/u;

/**
 * Body of `POST /v1/emails`, and the payload of an email job. Its schema in
 * the OpenAPI document pairs each template with the class of its `data`, as
 * the validation does, where the class alone would say "an object".
 */
@JSONSchema((schema, options) => ({
  ...schema,
  properties: { ...schema.properties, data: { description: "The template's data: the object its `oneOf` branch names." } },
  required: [...(schema.required ?? []), 'data'],
  oneOf: EMAIL_TEMPLATES.map((template) => ({
    required: ['template', 'data'],
    properties: { template: { const: template }, data: { $ref: `${options.refPointerPrefix}${EMAIL_DATA_CLASSES[template].name}` } },
  })),
}))
export class SendEmailDto {
  @IsString()
  @Characters(3, 254)
  @Matches(BARE_ADDRESS, { message: 'to must be one email address, without a name, angle brackets or a second address' })
  @IsEmail({ allow_display_name: false, allow_ip_domain: false }, { message: 'to must be a valid email address' })
  to: string;

  @IsIn(EMAIL_TEMPLATES, { message: `template must be one of ${EMAIL_TEMPLATES.join(', ')}` })
  template: EmailTemplateName;

  // The class that validates `data` is the one its sibling `template` names.
  // With an unknown template only `template` is reported: there is no class
  // to check `data` against.
  @ValidateIf((body: SendEmailDto) => isEmailTemplateName(body.template))
  @IsObject()
  @ValidateNested()
  @Type((options) => {
    const template: unknown = (options?.object as { template?: unknown } | undefined)?.template;
    // Checked against the list first: EMAIL_DATA_CLASSES['toString'] is a function too.
    return isEmailTemplateName(template) ? EMAIL_DATA_CLASSES[template] : Object;
  })
  data: EmailTemplateData[EmailTemplateName];

  /** The invoice this email concerns, by its id. */
  @IsOptional()
  @ValidateBy({
    name: 'isUuid',
    validator: { validate: (value: unknown) => typeof value === 'string' && isUuid(value), defaultMessage: () => 'invoiceId must be a UUID' },
  })
  invoiceId?: string;
}
