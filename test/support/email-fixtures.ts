import type { OrderConfirmationData, WelcomeEmailData } from '@baton/jobs';

/** The data of a valid welcome email; override fields per test. */
export function welcomeEmailData(overrides: Record<string, unknown> = {}): WelcomeEmailData {
  return { name: 'Ada', appName: 'Acme', actionUrl: 'https://acme.example/start', ...overrides } as WelcomeEmailData;
}

/** The data of a valid order confirmation; override fields per test. */
export function orderConfirmationData(overrides: Record<string, unknown> = {}): OrderConfirmationData {
  return {
    name: 'Ada Lovelace',
    orderNumber: 'A-1042',
    currency: 'EUR',
    items: [
      { description: 'Annual plan', quantity: 1, unitPriceCents: 9900 },
      { description: 'Extra seat', quantity: 3, unitPriceCents: 1999 },
    ],
    ...overrides,
  } as OrderConfirmationData;
}

/** A valid `POST /v1/emails` body of the welcome template: `data` overrides its data, `overrides` the body's fields. */
export function welcomeEmailBody(data: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { to: 'ada@example.com', template: 'welcome', data: welcomeEmailData(data), ...overrides };
}

/** A valid `POST /v1/emails` body of the order-confirmation template, with a note. */
export function orderConfirmationBody(data: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    to: 'ada@example.com',
    template: 'order-confirmation',
    data: orderConfirmationData({ note: 'Leave it at the door.\nThe blue one.', ...data }),
    ...overrides,
  };
}
