import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { fieldErrorBody } from './error-body';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids in paths are UUIDs; anything else is a 400 naming the parameter, never a database error. */
@Injectable()
export class UuidParamPipe implements PipeTransform<string, string> {
  constructor(private readonly name: string) {}

  transform(value: string): string {
    if (!UUID.test(value)) throw new BadRequestException(fieldErrorBody(this.name, 'must be a UUID'));
    return value.toLowerCase();
  }
}
