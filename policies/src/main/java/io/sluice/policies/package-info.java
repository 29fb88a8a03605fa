/**
 * Sluice's built-in policies. Each is written on the plugin SPI in {@code io.sluice.api} only, the
 * same SPI a third-party plugin author compiles against.
 */
package io.sluice.policies;
