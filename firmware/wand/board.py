# Generated from hardware/board.json by `wandctl boardgen`: do not edit.
# Pin numbers and calibration defaults of the board, as constants.
from micropython import const

NAME = 'microwand-v1'
CHIP = 'esp32'

PIN_BRIDGE_A = const(32)
PIN_BRIDGE_B = const(33)
PIN_BTN_LEVEL = const(14)
PIN_BTN_POWER = const(13)
PIN_BUZZER = const(23)
PIN_DAC = const(25)
PIN_I_SENSE = const(36)
PIN_LED_GREEN = const(18)
PIN_LED_RED = const(19)
PIN_OUT_ENABLE = const(27)
PIN_USB_SENSE = const(35)
PIN_V_BAT = const(34)
PIN_V_LOAD = const(39)

# Voltage-to-current stage: microamps per DAC code (default calibration).
STAGE_UA_PER_CODE = 2.1569
COMPLIANCE_MV = const(21500)
HW_LIMIT_MAX_UA = const(600)
# Current sense: ADC millivolts = offset + current * gain.
SENSE_OFFSET_MV = const(200)
SENSE_MV_PER_UA = 3.5
# Load voltage sense: ADC millivolts = offset + |V load| * gain.
VLOAD_OFFSET_MV = const(200)
VLOAD_GAIN = 0.0909
VBAT_DIVIDER = 0.5

BAT_FULL_MV = const(4150)
BAT_LOW_MV = const(3450)
BAT_CRITICAL_MV = const(3300)

ELECTRODE_AREA_CM2 = 1.0
