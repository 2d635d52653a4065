import Handlebars from 'handlebars';
import type { EmailTemplateData } from './send-email.dto';
import { orderConfirmationTemplate } from './templates/order-confirmation.template';
import { welcomeTemplate } from './templates/welcome.template';

export const EMAIL_TEMPLATES = ['welcome', 'order-confirmation'] as const;
export type EmailTemplateName = (typeof EMAIL_TEMPLATES)[number];

export const isEmailTemplateName = (candidate: unknown): candidate is EmailTemplateName =>
  (EMAIL_TEMPLATES as readonly unknown[]).includes(candidate);

/** One email as a template renders it: a one-line subject, an HTML part and a plain-text part. */
export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/**
 * A template as written: three Handlebars sources and the view they are
 * rendered with. The view holds every field the sources name, an absent
 * optional one as null; a field left undefined is missing data.
 */
export interface EmailTemplateSource<Data> {
  /** Rendered as plain text (a header is not HTML); line breaks are folded into spaces. */
  subject: string;
  /** Rendered with HTML escaping; user data only ever in `{{ }}`, never `{{{ }}}`. */
  html: string;
  /** Rendered without escaping: it is the text/plain part. */
  text: string;
  view(data: Data): Record<string, unknown>;
}

/** Data a template cannot render: a missing field, or one the template names that its view lacks. */
export class EmailRenderError extends Error {
  constructor(
    readonly template: EmailTemplateName,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`cannot render the ${template} email: ${reason}`, options);
    this.name = 'EmailRenderError';
  }
}

// An environment of its own, so that nothing registered on the global
// Handlebars (a helper, a partial) reaches these templates.
const handlebars = Handlebars.create();

// strict: a name the view lacks throws instead of rendering as nothing.
// knownHelpersOnly: only the built-in block helpers (if, each, unless).
const STRICT = { strict: true, knownHelpersOnly: true } as const;

type RenderView = (view: Record<string, unknown>) => string;

interface CompiledEmailTemplate<Data> {
  view(data: Data): Record<string, unknown>;
  subject: RenderView;
  html: RenderView;
  text: RenderView;
}

// Parsed here, at load, so that a template with a syntax error stops the
// process at start; Handlebars turns the parsed template into code on its
// first render and keeps that.
function compile<Data>(source: EmailTemplateSource<Data>): CompiledEmailTemplate<Data> {
  return {
    view: (data) => source.view(data),
    subject: handlebars.compile(handlebars.parse(source.subject), { ...STRICT, noEscape: true }),
    html: handlebars.compile(handlebars.parse(source.html), STRICT),
    text: handlebars.compile(handlebars.parse(source.text), { ...STRICT, noEscape: true }),
  };
}

const TEMPLATES: { [Name in EmailTemplateName]: CompiledEmailTemplate<EmailTemplateData[Name]> } = {
  welcome: compile(welcomeTemplate),
  'order-confirmation': compile(orderConfirmationTemplate),
};

// Every control character (CR and LF among them) and the Unicode line and
// paragraph separators: none may reach the Subject header, where a line
// break would start a header of the sender's choosing.
const LINE_BREAKING = /[\p{Cc}\u2028\u2029]+/gu;

/** Renders `name` with `data`; throws EmailRenderError for data it cannot render. */
export function renderEmail<Name extends EmailTemplateName>(name: Name, data: EmailTemplateData[Name]): RenderedEmail {
  // Checked against the list, not looked up: TEMPLATES['toString'] is a function too.
  if (!isEmailTemplateName(name)) throw new Error(`no email template named ${JSON.stringify(name)}`);
  const template: CompiledEmailTemplate<EmailTemplateData[Name]> = TEMPLATES[name];
  try {
    const view = template.view(data);
    const missing = firstUndefined(view);
    if (missing !== undefined) throw new EmailRenderError(name, `${missing} is missing`);
    return {
      subject: template.subject(view).replace(LINE_BREAKING, ' ').trim(),
      html: template.html(view),
      text: template.text(view),
    };
  } catch (error) {
    if (error instanceof EmailRenderError) throw error;
    throw new EmailRenderError(name, error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/** The dotted path of the first undefined value in a view (`items.2.description`), if any. */
function firstUndefined(value: unknown, path = ''): string | undefined {
  if (value === undefined) return path || '(data)';
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = firstUndefined(item, path ? `${path}.${key}` : key);
    if (found !== undefined) return found;
  }
  return undefined;
}
