import { Type } from 'class-transformer';
import {
  IsBase64,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Validate,
  ValidateNested,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { Characters } from '@baton/contracts';
import { INVOICE_NUMBER_PREFIX_PATTERN } from './invoice-number';
import { inspectLogoImage, LOGO_CONTENT_TYPES, LogoContentType, MAX_LOGO_BYTES } from './logo-image';

/** Bytes that `base64` (valid, padded) decodes to, without decoding it. */
function decodedLength(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}

/** Why a logo's data cannot be printed, or null when it can (or when other rules already refuse it). */
function logoProblem(data: unknown, declared: unknown): string | null {
  // Not a string, or not base64: @IsString and @IsBase64 say so.
  if (typeof data !== 'string' || data.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(data)) return null;
  const size = decodedLength(data);
  if (size > MAX_LOGO_BYTES) return `must decode to at most ${MAX_LOGO_BYTES} bytes (256 KiB); it decodes to ${size}`;
  const inspection = inspectLogoImage(Buffer.from(data, 'base64'));
  if (!inspection.ok) return inspection.problem;
  const actual = inspection.image.contentType;
  if (LOGO_CONTENT_TYPES.includes(declared as LogoContentType) && declared !== actual) {
    return `is a ${actual === 'image/png' ? 'PNG' : 'JPEG'} image, but contentType says ${String(declared)}`;
  }
  return null;
}

@ValidatorConstraint({ name: 'logoImage' })
class LogoImageIsPrintable implements ValidatorConstraintInterface {
  validate(data: unknown, args: ValidationArguments): boolean {
    return logoProblem(data, (args.object as InvoiceLogoDto).contentType) === null;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} ${logoProblem(args.value, (args.object as InvoiceLogoDto).contentType)}`;
  }
}

/** A seller's logo: a PNG or JPEG image, base64, checked to be one PDFKit can draw. */
export class InvoiceLogoDto {
  @IsIn(LOGO_CONTENT_TYPES, { message: `contentType must be one of ${LOGO_CONTENT_TYPES.join(', ')}` })
  contentType: LogoContentType;

  @IsString()
  @IsBase64({}, { message: 'data must be base64 (standard alphabet, padded)' })
  @Validate(LogoImageIsPrintable)
  data: string;
}

// A name or a tax id is printed on one line; an address and a footer may span several.
const ONE_LINE = /^[^\r\n]*$/;

/** Who issues an invoice, as printed on it: the `seller` of an invoice, and the body of a profile less its number prefix. */
export class InvoiceSellerDto {
  @IsString()
  @Characters(1, 200)
  @Matches(ONE_LINE, { message: 'name must be one line' })
  name: string;

  @IsString()
  @Characters(1, 500)
  address: string;

  @IsString()
  @Characters(1, 64)
  @Matches(ONE_LINE, { message: 'taxId must be one line' })
  taxId: string;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => InvoiceLogoDto)
  logo?: InvoiceLogoDto | null;

  /** Payment terms, bank details: printed at the end of the invoice. */
  @IsOptional()
  @IsString()
  @Characters(0, 1000)
  footer?: string | null;
}

/** Body of `PUT /v1/invoice-profile`: the tenant's seller, and the prefix of its invoice numbers. */
export class InvoiceProfileDto extends InvoiceSellerDto {
  @IsOptional()
  @Matches(INVOICE_NUMBER_PREFIX_PATTERN, {
    message: 'numberPrefix must be 1 to 16 letters, digits, ".", "_" or "-", starting with a letter or digit',
  })
  numberPrefix?: string | null;
}
