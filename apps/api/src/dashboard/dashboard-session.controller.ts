import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcluded } from '@baton/openapi';
import { IsString, Length } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BodyPipe } from '../http/payload.pipe';
import { DASHBOARD_OPTIONS, DashboardOptions } from './dashboard-options';
import { AllowedWhenReadOnly, DashboardSessionGuard } from './dashboard-session.guard';
import { DashboardSessionService, DashboardSessionView } from './dashboard-session.service';
import { sessionCookie, sessionCookieOf } from './session-cookie';

export class SignInDto {
  @IsString()
  @Length(1, 256)
  apiKey: string;
}

/** Signing in with an API key (exchanged for a session cookie), reading the session, signing out. */
@Controller('dashboard/api/session')
@ApiExcluded()
export class DashboardSessionController {
  constructor(
    private readonly sessions: DashboardSessionService,
    @Inject(DASHBOARD_OPTIONS) private readonly options: DashboardOptions,
  ) {}

  @Post()
  @HttpCode(200)
  async signIn(@Body(new BodyPipe(SignInDto)) request: SignInDto, @Req() http: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<DashboardSessionView> {
    const { token, session } = await this.sessions.signIn(request.apiKey);
    const maxAgeSec = Math.max(0, Math.round((Date.parse(session.expiresAt) - Date.now()) / 1000));
    void reply.header('Set-Cookie', sessionCookie(token, maxAgeSec, this.secure(http))).header('Cache-Control', 'no-store');
    return session;
  }

  @Get()
  @UseGuards(DashboardSessionGuard)
  read(@Req() http: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): DashboardSessionView {
    void reply.header('Cache-Control', 'no-store');
    // Set by the guard.
    return http.dashboardSession as DashboardSessionView;
  }

  @Delete()
  @UseGuards(DashboardSessionGuard)
  @AllowedWhenReadOnly()
  @HttpCode(204)
  async signOut(@Req() http: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    await this.sessions.signOut(sessionCookieOf(http.headers.cookie) as string);
    void reply.header('Set-Cookie', sessionCookie('', 0, this.secure(http)));
  }

  private secure(request: FastifyRequest): boolean {
    return this.options.secureOverPlainHttp || request.protocol === 'https';
  }
}
