import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsEmail,
  IsInt,
  IsISO8601,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
  Validate,
} from 'class-validator';
import { Characters, CurrencyCode } from '@baton/contracts';
import { computeInvoiceTotals } from './invoice-totals';
import { InvoiceSellerDto } from './invoice-profile.dto';

export class InvoiceCustomerDto {
  @IsString()
  @Characters(1, 200)
  name: string;

  @IsEmail({}, { message: 'email must be a valid email address' })
  @Characters(0, 320)
  email: string;

  @IsOptional()
  @IsString()
  @Characters(0, 500)
  address?: string;
}

export class InvoiceLineDto {
  @IsString()
  @Characters(1, 500)
  description: string;

  @IsInt()
  @Min(1)
  @Max(100_000)
  quantity: number;

  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  unitPriceCents: number;
}

/**
 * Totals travel as JSON numbers, exact only up to 2^53 - 1. An invoice whose
 * total could exceed that is refused at the door rather than rounded later.
 */
@ValidatorConstraint({ name: 'invoiceTotalIsExact' })
class InvoiceTotalIsExact implements ValidatorConstraintInterface {
  validate(lines: unknown, args: ValidationArguments): boolean {
    if (!Array.isArray(lines)) return true;
    const priced = lines as InvoiceLineDto[];
    // Malformed lines are reported by their own validators.
    if (!priced.every((line) => Number.isSafeInteger(line?.quantity) && Number.isSafeInteger(line?.unitPriceCents))) {
      return true;
    }
    const taxRate = (args.object as CreateInvoiceDto).taxRatePercent;
    const rate = typeof taxRate === 'number' && Number.isFinite(taxRate) && taxRate >= 0 && taxRate <= 100 ? taxRate : 0;
    return computeInvoiceTotals(priced, rate).totalCents <= BigInt(Number.MAX_SAFE_INTEGER);
  }

  defaultMessage(): string {
    return `the invoice total must not exceed ${Number.MAX_SAFE_INTEGER} cents`;
  }
}

/** Body of `POST /v1/invoices`, and the payload of an `invoices` job. */
export class CreateInvoiceDto {
  @IsString()
  @Characters(1, 64)
  orderId: string;

  @IsObject()
  @ValidateNested()
  @Type(() => InvoiceCustomerDto)
  customer: InvoiceCustomerDto;

  @CurrencyCode()
  currency: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  // ValidateNested looks inside nested arrays too: each item must be an object itself.
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => InvoiceLineDto)
  @Validate(InvoiceTotalIsExact)
  lines: InvoiceLineDto[];

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 4 })
  @Min(0)
  @Max(100)
  taxRatePercent?: number;

  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'issuedAt must be an ISO-8601 date such as 2026-11-20' })
  @IsISO8601({ strict: true }, { message: 'issuedAt must be a real calendar date' })
  issuedAt?: string;

  /** Prints this seller instead of the tenant's profile (whose number prefix still applies). */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => InvoiceSellerDto)
  seller?: InvoiceSellerDto | null;
}
