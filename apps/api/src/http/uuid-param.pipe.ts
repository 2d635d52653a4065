import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { isUuid } from '@baton/contracts';
import { DescribedInput } from '@baton/openapi';
import { fieldErrorBody } from './error-body';

/** Ids in paths are UUIDs; anything else is a 400 naming the parameter, never a database error. */
@Injectable()
export class UuidParamPipe implements PipeTransform<string, string>, DescribedInput {
  readonly describedAs = { type: 'string', format: 'uuid' };

  constructor(private readonly name: string) {}

  transform(value: string): string {
    if (!isUuid(value)) throw new BadRequestException(fieldErrorBody(this.name, 'must be a UUID'));
    return value.toLowerCase();
  }
}
