// services/recorder: projects simulation events from Kafka into the Redis read model.
import { runService } from '@kunlun/telemetry';
import { recorderService } from './service.js';

await runService(recorderService);
