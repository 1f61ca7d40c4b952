import { type DynamicModule, Module } from '@nestjs/common';
import { ADMIN_TOKEN, AdminAuthGuard } from './admin-auth.guard';

/** Makes AdminAuthGuard usable by every controller (`@UseGuards(AdminAuthGuard)`). */
@Module({})
export class AuthModule {
  static forRoot(adminToken: string): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      providers: [{ provide: ADMIN_TOKEN, useValue: adminToken }, AdminAuthGuard],
      exports: [ADMIN_TOKEN, AdminAuthGuard],
    };
  }
}
