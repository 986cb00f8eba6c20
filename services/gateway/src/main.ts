// services/gateway: the HTTP API, live updates and the web page.
import { runService } from '@kunlun/telemetry';
import { gatewayService } from './service.js';

await runService(gatewayService);
