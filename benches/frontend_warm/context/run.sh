#!/bin/sh
echo "running in $APP_HOME"
ls "$APP_HOME"
