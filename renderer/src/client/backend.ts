import { ApiClient } from './apiClient';
import { detectTransport } from './transports';

/** The renderer's single client; views import it rather than touching a transport. */
export const api = new ApiClient(detectTransport());
