import type { EmailTemplateSource } from '../email-templates';
import type { WelcomeEmailData } from '../send-email.dto';
import { htmlDocument } from './email-layout';

/**
 * The first email a new user gets: a greeting by name, the product's name
 * when the sender gives one, and a button to an https:// address (the
 * validator refuses any other scheme; the view checks again, since an
 * escaped `javascript:` link is still a link).
 */
export const welcomeTemplate: EmailTemplateSource<WelcomeEmailData> = {
  subject: '{{#if appName}}Welcome to {{appName}}, {{name}}{{else}}Welcome, {{name}}{{/if}}',

  html: htmlDocument(
    'Welcome',
    `<p>Hello {{name}},</p>
<p>{{#if appName}}Welcome to {{appName}}! {{/if}}Your account is ready.</p>
{{#if actionUrl}}
<p><a href="{{actionUrl}}" style="display:inline-block;padding:12px 20px;border-radius:4px;background:#1a56db;color:#ffffff;text-decoration:none;">Get started</a></p>
<p style="font-size:13px;color:#52606d;">If the button does not work, copy this address into your browser:<br>{{actionUrl}}</p>
{{/if}}
`,
  ),

  text: `Hello {{name}},

{{#if appName}}Welcome to {{appName}}! {{/if}}Your account is ready.
{{#if actionUrl}}

Get started: {{actionUrl}}
{{/if}}
`,

  view: (data) => ({
    name: data.name,
    appName: data.appName ?? null,
    actionUrl: data.actionUrl === undefined ? null : httpsUrl(data.actionUrl),
  }),
};

function httpsUrl(candidate: string): string {
  if (!URL.canParse(candidate) || new URL(candidate).protocol !== 'https:') throw new Error('actionUrl must be an https:// URL');
  return candidate;
}
